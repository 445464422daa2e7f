// What the tree knows about one folder's messages: the pages loaded so far, newest first.
// Pure state, no vscode: the tree nodes render it, the commands change it.
import { type HeaderPage, type MessageSummary, type PageCursor } from './headers';

export class FolderMessages {
  messages: MessageSummary[] = [];
  next: PageCursor | undefined;
  total = 0;
  uidValidity: string | undefined;
  /** Last known HIGHESTMODSEQ: a resync after a reconnect asks only for what changed since. */
  highestModseq: bigint | undefined;
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
    if (page.highestModseq !== undefined && (this.highestModseq === undefined || page.highestModseq > this.highestModseq || first)) {
      this.highestModseq = page.highestModseq;
    }
    this.loaded = true;
  }

  get maxUid(): number {
    return this.messages.length ? this.messages[0].uid : 0;
  }

  get minUid(): number {
    return this.messages.length ? this.messages[this.messages.length - 1].uid : 0;
  }

  /** New messages above everything loaded (from IDLE), newest first. */
  addNewer(messages: MessageSummary[]): MessageSummary[] {
    const fresh = messages.filter((m) => m.uid > this.maxUid);
    this.messages.unshift(...fresh.sort((a, b) => b.uid - a.uid));
    this.total += fresh.length;
    return fresh;
  }

  /** Removes messages (expunged elsewhere, or moved away by us). Returns the removed ones. */
  remove(uids: Iterable<number>): MessageSummary[] {
    const gone = new Set(uids);
    const removed = this.messages.filter((m) => gone.has(m.uid));
    if (removed.length) {
      this.messages = this.messages.filter((m) => !gone.has(m.uid));
      this.total = Math.max(0, this.total - removed.length);
    }
    return removed;
  }

  /** Replaces a message's flags; returns the previous flags, or undefined when not loaded or unchanged. */
  replaceFlags(uid: number, flags: string[]): string[] | undefined {
    const message = this.find(uid);
    if (!message) {
      return undefined;
    }
    const before = message.flags;
    const same = before.length === flags.length && before.every((f) => flags.includes(f));
    if (same) {
      return undefined;
    }
    message.flags = [...flags];
    return before;
  }

  reset(): void {
    this.messages = [];
    this.next = undefined;
    this.highestModseq = undefined;
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
