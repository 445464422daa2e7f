// The result of one search across folders (and accounts): what each folder answered, the headers
// fetched so far, and the rows to show, newest first. Pure state, no network and no vscode: the
// search run (run.ts) feeds it, the tree projects it.
//
// Rows are merged by arrival (INTERNALDATE) across folders. A folder's hits are fetched a page at a
// time from its newest UID down, so a row may only be shown when no folder could still hold a
// newer unfetched hit: the frontier is the arrival of the oldest fetched hit of each folder that
// has more, and rows older than the newest frontier wait until those folders fetched further.
// While folders are still being searched they cannot hold back rows (nothing of them is known):
// their hits are inserted in place when they arrive.
import { type MailError } from '../errors';
import { type MessageSummary } from '../mail/headers';
import { type FolderHits, hitCount } from './folderSearch';
import { type ParsedQuery } from './query';
import { type FolderRef } from './scope';

/** One row of a result: a message of some folder of some account. */
export interface SearchHit extends FolderRef {
  uidValidity: string;
  message: MessageSummary;
}

export type FolderSearchState = 'waiting' | 'searching' | 'done' | 'failed' | 'cancelled';

export interface FolderResult extends FolderRef {
  state: FolderSearchState;
  hits?: FolderHits;
  /** Fetched hits, highest UID first. */
  loaded: MessageSummary[];
  /** The next page starts below this UID; undefined when every hit was fetched. */
  below?: number;
  /** Candidates that BODYSTRUCTURE showed not to match (has:attachment). */
  rejected: number;
  error?: MailError;
}

/** The arrival time that orders rows: INTERNALDATE, else the Date header, else the oldest. */
export function arrivalTime(message: MessageSummary): number {
  const date = (message as MessageSummary & { internalDate?: Date }).internalDate ?? message.date;
  const time = date ? date.getTime() : NaN;
  return Number.isNaN(time) ? 0 : time;
}

function newestFirst(a: SearchHit, b: SearchHit): number {
  return arrivalTime(b.message) - arrivalTime(a.message) || b.message.uid - a.message.uid || (a.accountId + a.path < b.accountId + b.path ? -1 : 1);
}

/** The oldest arrival among fetched hits: no unfetched hit of the folder is newer (paged by arrival or by UID). */
function oldestArrival(loaded: MessageSummary[]): number {
  let min = Infinity;
  for (const m of loaded) {
    min = Math.min(min, arrivalTime(m));
  }
  return min;
}

export function folderKey(ref: FolderRef): string {
  return `${ref.accountId}\u0000${ref.path}`;
}

export class SearchResults {
  private readonly byFolder = new Map<string, FolderResult>();
  /** How many rows the user asked to see (pages × page size). */
  private limit: number;
  private sorted: SearchHit[] | undefined;
  private cancelledFlag = false;

  constructor(
    readonly query: ParsedQuery,
    folders: FolderRef[],
    readonly pageSize: number,
  ) {
    this.limit = pageSize;
    for (const ref of folders) {
      this.byFolder.set(folderKey(ref), { ...ref, state: 'waiting', loaded: [], rejected: 0 });
    }
  }

  folders(): FolderResult[] {
    return [...this.byFolder.values()];
  }

  folder(ref: FolderRef): FolderResult | undefined {
    return this.byFolder.get(folderKey(ref));
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  /** Whether every folder answered (or failed, or the search was cancelled). */
  get finished(): boolean {
    return this.folders().every((f) => f.state !== 'waiting' && f.state !== 'searching');
  }

  get progress(): { done: number; total: number } {
    const all = this.folders();
    return { done: all.filter((f) => f.state !== 'waiting' && f.state !== 'searching').length, total: all.length };
  }

  /** Hits the servers counted (candidates, for has:attachment: then `exact` is false). */
  get count(): number {
    let n = 0;
    for (const f of this.byFolder.values()) {
      n += f.hits ? hitCount(f.hits) : 0;
    }
    return Math.max(0, n - this.rejectedCount);
  }

  private get rejectedCount(): number {
    let n = 0;
    for (const f of this.byFolder.values()) {
      n += f.rejected;
    }
    return n;
  }

  /** False when has:attachment still has unchecked candidates: the count is then an upper bound. */
  get exact(): boolean {
    return this.folders().every((f) => !f.hits || f.hits.exact || f.below === undefined);
  }

  get failures(): FolderResult[] {
    return this.folders().filter((f) => f.state === 'failed');
  }

  // ---- changes from the search run ----

  setState(ref: FolderRef, state: FolderSearchState, error?: MailError): void {
    const folder = this.folder(ref);
    if (folder) {
      folder.state = state;
      folder.error = error;
    }
  }

  /** A folder answered: its hits and their first page. */
  setHits(ref: FolderRef, hits: FolderHits, page: { messages: MessageSummary[]; below: number | undefined; rejected: number }): void {
    const folder = this.folder(ref);
    if (!folder) {
      return;
    }
    folder.hits = hits;
    folder.loaded = [...page.messages].sort((a, b) => b.uid - a.uid);
    folder.below = page.below;
    folder.rejected = page.rejected;
    folder.state = 'done';
    folder.error = undefined;
    this.sorted = undefined;
  }

  /** A further page of a folder's hits. */
  addPage(ref: FolderRef, uidValidity: string, page: { messages: MessageSummary[]; below: number | undefined; rejected: number }): void {
    const folder = this.folder(ref);
    if (!folder?.hits || folder.hits.uidValidity !== uidValidity) {
      return;
    }
    const known = new Set(folder.loaded.map((m) => m.uid));
    folder.loaded = [...folder.loaded, ...page.messages.filter((m) => !known.has(m.uid))].sort((a, b) => b.uid - a.uid);
    folder.below = page.below;
    folder.rejected += page.rejected;
    this.sorted = undefined;
  }

  cancel(): void {
    this.cancelledFlag = true;
    for (const folder of this.byFolder.values()) {
      if (folder.state === 'waiting' || folder.state === 'searching') {
        folder.state = 'cancelled';
      }
    }
  }

  // ---- rows ----

  private all(): SearchHit[] {
    if (!this.sorted) {
      const rows: SearchHit[] = [];
      for (const f of this.byFolder.values()) {
        for (const message of f.loaded) {
          rows.push({ accountId: f.accountId, path: f.path, uidValidity: f.hits?.uidValidity ?? '', message });
        }
      }
      this.sorted = rows.sort(newestFirst);
    }
    return this.sorted;
  }

  /** The arrival time above which every hit is fetched (rows older than it may still have newer ones unfetched). */
  private frontier(): number {
    let frontier = -Infinity;
    for (const f of this.byFolder.values()) {
      if (f.below !== undefined && f.loaded.length) {
        frontier = Math.max(frontier, oldestArrival(f.loaded));
      } else if (f.below !== undefined) {
        return Infinity;
      }
    }
    return frontier;
  }

  /** Rows that can be shown in order: every newer hit is fetched. */
  private safe(): SearchHit[] {
    const frontier = this.frontier();
    const all = this.all();
    if (frontier === -Infinity) {
      return all;
    }
    let n = 0;
    while (n < all.length && arrivalTime(all[n].message) >= frontier) {
      n++;
    }
    return all.slice(0, n);
  }

  /** The rows to show, newest first. */
  rows(): SearchHit[] {
    return this.safe().slice(0, this.limit);
  }

  /** Whether "Load more" has anything to load. */
  get hasMore(): boolean {
    return this.safe().length > this.limit || this.folders().some((f) => f.below !== undefined);
  }

  /** Shows one more page; returns the folders that must fetch further for it (maybe none). */
  showMore(): FolderRef[] {
    this.limit += this.pageSize;
    return this.foldersToFetch();
  }

  /**
   * The folders whose next page may hold rows of the visible range: every folder with more hits
   * whose oldest fetched one is newer than the last visible row would be. Empty when the rows to
   * show are all fetched.
   */
  foldersToFetch(): FolderRef[] {
    const safe = this.safe();
    if (safe.length >= this.limit) {
      return [];
    }
    const all = this.all();
    const cut = all.length >= this.limit ? arrivalTime(all[this.limit - 1].message) : -Infinity;
    return this.folders().filter((f) => f.below !== undefined && (!f.loaded.length || oldestArrival(f.loaded) >= cut));
  }

  // ---- live updates ----

  /** A message's flags changed (our action, another client, a resync). Returns whether a row changed. */
  setFlags(ref: FolderRef, uid: number, flags: string[]): boolean {
    const message = this.folder(ref)?.loaded.find((m) => m.uid === uid);
    if (!message || (message.flags.length === flags.length && message.flags.every((f) => flags.includes(f)))) {
      return false;
    }
    message.flags = [...flags];
    return true;
  }

  /** Messages left a folder (expunged, moved by us or by another client). */
  remove(ref: FolderRef, uids: number[]): boolean {
    const folder = this.folder(ref);
    if (!folder?.hits) {
      return false;
    }
    const gone = new Set(uids);
    const before = folder.loaded.length;
    folder.loaded = folder.loaded.filter((m) => !gone.has(m.uid));
    const hits = folder.hits;
    const changed = hitCount(hits);
    const partial = hits.partial;
    if (partial) {
      // the server's positions move up by each hit that left from the part already taken
      const known = partial.order.filter((u) => gone.has(u)).length;
      partial.order = partial.order.filter((u) => !gone.has(u));
      partial.count = Math.max(partial.order.length, partial.count - known);
    }
    folder.hits = {
      ...hits,
      uids: hits.uids.without(uids),
      ...(hits.pending ? { pending: hits.pending.without(uids) } : {}),
      ...(hits.withAttachment ? { withAttachment: hits.withAttachment.without(uids) } : {}),
      ...(hits.withoutAttachment ? { withoutAttachment: hits.withoutAttachment.without(uids) } : {}),
    };
    if (folder.below !== undefined && (partial ? partial.order.length >= partial.count : (folder.hits.pending ?? folder.hits.uids).countBelow(folder.below) === 0)) {
      folder.below = undefined;
    }
    this.sorted = undefined;
    return before !== folder.loaded.length || changed !== hitCount(folder.hits);
  }

  /** New messages of a folder that match the query (checked by the caller on the server). */
  add(ref: FolderRef, uidValidity: string, messages: MessageSummary[]): boolean {
    const folder = this.folder(ref);
    if (!folder?.hits || folder.hits.uidValidity !== uidValidity || !messages.length) {
      return false;
    }
    const known = new Set(folder.loaded.map((m) => m.uid));
    const fresh = messages.filter((m) => !known.has(m.uid));
    if (!fresh.length) {
      return false;
    }
    folder.loaded = [...fresh, ...folder.loaded].sort((a, b) => b.uid - a.uid);
    const uids = fresh.map((m) => m.uid);
    // exact hits from now on, whatever the folder's split: the caller checked BODYSTRUCTURE
    if (folder.hits.partial) {
      // the newest hits take the first positions
      folder.hits.partial.order = [...uids.sort((a, b) => b - a), ...folder.hits.partial.order];
      folder.hits.partial.count += uids.length;
    }
    folder.hits = {
      ...folder.hits,
      uids: folder.hits.uids.with(uids),
      ...(folder.hits.withAttachment ? { withAttachment: folder.hits.withAttachment.with(uids) } : {}),
      ...(folder.hits.withoutAttachment ? { withoutAttachment: folder.hits.withoutAttachment.with(uids) } : {}),
    };
    this.limit += fresh.length;
    this.sorted = undefined;
    return true;
  }

  /** The highest UID a folder's result knows (new mail is above it). */
  maxUid(ref: FolderRef): number {
    return this.folder(ref)?.hits?.uids.max ?? 0;
  }

  /** Finds a row. */
  find(ref: FolderRef, uid: number): SearchHit | undefined {
    const folder = this.folder(ref);
    const message = folder?.loaded.find((m) => m.uid === uid);
    return folder && message ? { accountId: folder.accountId, path: folder.path, uidValidity: folder.hits?.uidValidity ?? '', message } : undefined;
  }

  /** Unread rows among those fetched (the exact unread count of a result comes from countUnread()). */
  get unreadLoaded(): number {
    let n = 0;
    for (const f of this.byFolder.values()) {
      n += f.loaded.filter((m) => !m.flags.includes('\\Seen')).length;
    }
    return n;
  }
}
