// What the tree knows about one folder's messages: the pages loaded so far, newest first.
// Pure state, no vscode: the tree nodes render it, the commands change it.
import { type HeaderPage, type MessageSummary, type PageCursor } from '../core/headers';

export class FolderMessages {
  messages: MessageSummary[] = [];
  next: PageCursor | undefined;
  total = 0;
  uidValidity: string | undefined;
  loaded = false;

  /** Adds a page; a changed UIDVALIDITY (RFC 3501 2.3.1.1) invalidates every UID we held. */
  addPage(page: HeaderPage, first: boolean): void {
    if (first || (this.uidValidity !== undefined && this.uidValidity !== page.uidValidity)) {
      this.messages = [];
    }
    const known = new Set(this.messages.map((m) => m.uid));
    this.messages.push(...page.messages.filter((m) => !known.has(m.uid)));
    this.messages.sort((a, b) => b.uid - a.uid);
    this.next = page.next;
    this.total = page.total;
    this.uidValidity = page.uidValidity;
    this.loaded = true;
  }

  reset(): void {
    this.messages = [];
    this.next = undefined;
    this.loaded = false;
  }

  find(uid: number): MessageSummary | undefined {
    return this.messages.find((m) => m.uid === uid);
  }

  /** Returns true when the flag set changed. */
  setFlag(uid: number, flag: string, on: boolean): boolean {
    const message = this.find(uid);
    if (!message) {
      return false;
    }
    const has = message.flags.includes(flag);
    if (has === on) {
      return false;
    }
    message.flags = on ? [...message.flags, flag] : message.flags.filter((f) => f !== flag);
    return true;
  }
}
