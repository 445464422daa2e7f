// A folder's loaded window of headers, for one UIDVALIDITY. Pure state, no vscode: the store owns
// it and is the only one that changes it.
//
// Two orders meet here. On the server side paging is by UID (headers.ts): the first page is one
// UID FETCH from UIDNEXT down, "Load more" fetches the UIDs below the cursor (the oldest UID
// loaded), new mail is fetched above the newest UID. So the window is always *every* message whose
// UID is at or above the cursor: no holes, and a resync can name the loaded range as `min:max`.
// What the user sees is that same set ordered newest first by arrival (INTERNALDATE, which MOVE
// and COPY keep; ties by UID). The orders differ only for a message whose INTERNALDATE is older
// than its UID suggests (moved or copied in, appended with a date, put back by Undo): it shows
// among the rows of its date, not at the top. A message below the cursor with a newer date than
// some loaded one appears when "Load more" reaches its UID, at its place by date.
import { type HeaderPage, type MessageSummary, type PageCursor } from './headers';

/** What changed in a window, for the rows that show it and for listeners (message view, notifications). */
export interface FolderChange {
  /** Messages that arrived (newest first by UID). */
  added: MessageSummary[];
  /** Messages that left the window. */
  removed: MessageSummary[];
  /** Messages whose flags changed, with the flags they had before. */
  flagged: Array<{ uid: number; before: string[]; after: string[] }>;
  /** Everything loaded was dropped (a new UIDVALIDITY, or a reload). */
  reset: boolean;
}

export function emptyChange(): FolderChange {
  return { added: [], removed: [], flagged: [], reset: false };
}

export function isEmptyChange(change: FolderChange): boolean {
  return !change.reset && !change.added.length && !change.removed.length && !change.flagged.length;
}

/** What a resync or a live update needs to know of a window: its identity and its UID range. */
export interface WindowSnapshot {
  path: string;
  uidValidity: string;
  /** All changes up to this MODSEQ are in the window (RFC 7162): the base of CHANGEDSINCE. */
  highestModseq?: bigint;
  minUid: number;
  maxUid: number;
  uids: number[];
}

/** What the server reported about a window, to be applied by the store (never applied in place). */
export interface WindowDelta {
  /** The UIDVALIDITY the report is about; a window of another one is dropped, not patched. */
  uidValidity: string;
  /** Flags as the server holds them, with the MODSEQ of the report when known (CONDSTORE). */
  flags?: Array<{ uid: number; flags: string[]; modseq?: bigint }>;
  /** UIDs expunged (EXPUNGE, VANISHED, or silent in a full flag resync). */
  vanished?: number[];
  /** Messages above the newest loaded UID (new mail). */
  newer?: MessageSummary[];
  /** EXISTS at the time of the report. */
  total?: number;
  /**
   * Set only by a complete resync (CHANGEDSINCE or QRESYNC from the window's MODSEQ): every change
   * up to this MODSEQ is in the delta. Single IDLE reports never advance it.
   */
  highestModseq?: bigint;
}

/** The arrival time that orders rows: INTERNALDATE, else the Date header, else nothing (oldest). */
export function arrivalOf(message: MessageSummary): number {
  const date = message.internalDate ?? message.date;
  const time = date ? date.getTime() : NaN;
  return Number.isNaN(time) ? 0 : time;
}

/** Newest arrival first; the higher UID first when two arrived in the same second. */
export function byArrival(a: MessageSummary, b: MessageSummary): number {
  return arrivalOf(b) - arrivalOf(a) || b.uid - a.uid;
}

export class FolderWindow {
  private readonly byUid = new Map<number, MessageSummary>();
  /** MODSEQ of the last flag report applied per message, so an older report never undoes a newer one. */
  private readonly modseqs = new Map<number, bigint>();
  private sorted: MessageSummary[] | undefined;
  /** Where the next older page starts (UID cursor), or undefined when the oldest message is loaded. */
  next: PageCursor | undefined;
  /** Messages in the folder (EXISTS) when last told. */
  total: number;
  highestModseq: bigint | undefined;

  constructor(
    readonly path: string,
    readonly uidValidity: string,
    content: { messages: readonly MessageSummary[]; next?: PageCursor; total: number; highestModseq?: bigint },
  ) {
    for (const m of content.messages) {
      this.byUid.set(m.uid, { ...m, flags: [...m.flags] });
    }
    this.next = content.next;
    this.total = content.total;
    this.highestModseq = content.highestModseq;
  }

  /** A window holding one first page (headers.ts fetchHeaderPage). */
  static fromPage(path: string, page: HeaderPage): FolderWindow {
    return new FolderWindow(path, page.uidValidity, page);
  }

  /** The rows, newest arrival first. */
  get messages(): readonly MessageSummary[] {
    this.sorted ??= [...this.byUid.values()].sort(byArrival);
    return this.sorted;
  }

  /** How many messages are loaded. */
  get size(): number {
    return this.byUid.size;
  }

  /** The lowest UID loaded (the page cursor), 0 when empty. */
  get minUid(): number {
    let min = 0;
    for (const uid of this.byUid.keys()) {
      min = min === 0 || uid < min ? uid : min;
    }
    return min;
  }

  /** The highest UID loaded, 0 when empty: new mail is asked for above it. */
  get maxUid(): number {
    let max = 0;
    for (const uid of this.byUid.keys()) {
      max = uid > max ? uid : max;
    }
    return max;
  }

  /** A loaded message by UID. */
  find(uid: number): MessageSummary | undefined {
    return this.byUid.get(uid);
  }

  /** The newest `limit` messages by UID (a UID range, as the cache keeps them). */
  newestByUid(limit: number): MessageSummary[] {
    return [...this.byUid.values()].sort((a, b) => b.uid - a.uid).slice(0, limit);
  }

  /** What a resync or a watcher needs to ask the server about this window. */
  snapshot(): WindowSnapshot {
    return {
      path: this.path,
      uidValidity: this.uidValidity,
      ...(this.highestModseq !== undefined ? { highestModseq: this.highestModseq } : {}),
      minUid: this.minUid,
      maxUid: this.maxUid,
      uids: [...this.byUid.keys()],
    };
  }

  private put(message: MessageSummary, change: FolderChange): void {
    if (!this.byUid.has(message.uid)) {
      this.byUid.set(message.uid, { ...message, flags: [...message.flags] });
      change.added.push(message);
      this.sorted = undefined;
    }
  }

  private drop(uids: Iterable<number>, change: FolderChange): void {
    for (const uid of uids) {
      const message = this.byUid.get(uid);
      if (message) {
        this.byUid.delete(uid);
        this.modseqs.delete(uid);
        change.removed.push(message);
        this.sorted = undefined;
      }
    }
  }

  private replaceFlags(uid: number, flags: string[], change: FolderChange): void {
    const message = this.byUid.get(uid);
    if (!message) {
      return;
    }
    const before = message.flags;
    if (before.length === flags.length && before.every((f) => flags.includes(f))) {
      return;
    }
    message.flags = [...flags];
    change.flagged.push({ uid, before, after: message.flags });
  }

  /**
   * Adds the next older page ("Load more"). Its MODSEQ is not taken: the newer rows are only as
   * fresh as the window's own MODSEQ, which stays the base of the next resync.
   */
  addOlderPage(page: HeaderPage): FolderChange {
    const change = emptyChange();
    for (const m of page.messages) {
      this.put(m, change);
    }
    this.next = page.next;
    this.total = page.total;
    return change;
  }

  /** Applies what the server reported (resync, IDLE); the caller checked the UIDVALIDITY. */
  apply(delta: WindowDelta): FolderChange {
    const change = emptyChange();
    for (const { uid, flags, modseq } of delta.flags ?? []) {
      const known = this.modseqs.get(uid);
      if (modseq !== undefined && known !== undefined && known >= modseq) {
        continue;
      }
      this.replaceFlags(uid, flags, change);
      if (modseq !== undefined && this.byUid.has(uid)) {
        this.modseqs.set(uid, modseq);
      }
    }
    this.drop(delta.vanished ?? [], change);
    const floor = this.size ? this.minUid : 0;
    for (const m of delta.newer ?? []) {
      // never a hole: the window is every UID from the cursor up
      if (m.uid >= floor) {
        this.put(m, change);
      }
    }
    if (delta.total !== undefined) {
      this.total = delta.total;
    }
    if (delta.highestModseq !== undefined) {
      this.highestModseq = delta.highestModseq;
    }
    change.added.sort((a, b) => b.uid - a.uid);
    return change;
  }

  /** Our own STORE on these messages succeeded. */
  setFlags(uids: Iterable<number>, flags: string[], on: boolean): FolderChange {
    const change = emptyChange();
    for (const uid of uids) {
      const message = this.byUid.get(uid);
      if (!message) {
        continue;
      }
      const next = on ? [...new Set([...message.flags, ...flags])] : message.flags.filter((f) => !flags.includes(f));
      this.replaceFlags(uid, next, change);
    }
    return change;
  }

  /** Our own move or expunge took these messages away. */
  remove(uids: Iterable<number>): FolderChange {
    const change = emptyChange();
    this.drop(uids, change);
    this.total = Math.max(0, this.total - change.removed.length);
    return change;
  }
}

/** How the unread count moves with a change (for our own actions, whose effect we know exactly). */
export function unseenDelta(change: FolderChange): number {
  const unseen = (flags: string[]) => !flags.includes('\\Seen');
  let delta = 0;
  for (const f of change.flagged) {
    delta += Number(unseen(f.after)) - Number(unseen(f.before));
  }
  delta -= change.removed.filter((m) => unseen(m.flags)).length;
  delta += change.added.filter((m) => unseen(m.flags)).length;
  return delta;
}
