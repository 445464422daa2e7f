// One search as it runs: every folder in scope searched in parallel over each account's capped
// connection pool (EXAMINE, UID SEARCH, UID FETCH of the first page), results streamed into a
// SearchResults as each folder answers, progress after every folder, "Load more", cancel, and the
// live updates that keep a finished result current. No vscode: the Mail view subscribes.
import { setMaxListeners } from 'node:events';
import { toMailError } from '../errors';
import { type ConnectionPool, isCancelled } from '../mail/pool';
import { compileQuery } from './compile';
import { fetchHitPage, fetchSummaries, isHit, matchUids, searchFolder } from './folderSearch';
import { type ParsedQuery } from './query';
import { SearchResults } from './results';
import { type FolderRef } from './scope';

/** What changed in a run, for whoever shows it. */
export interface SearchRunEvent {
  /** Rows were added, removed or reordered (or their flags changed). */
  rows: boolean;
  /** A folder finished (progress), or the run finished or was cancelled. */
  progress: boolean;
}

export interface SearchRunOptions {
  /** The account's pool of search connections. */
  pool(accountId: string): ConnectionPool;
  pageSize: number;
  /** Relative dates (7d, yesterday) count from here; fixed for the whole run. */
  now?: Date;
}

export class SearchRun {
  readonly results: SearchResults;
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(event: SearchRunEvent) => void>();
  private readonly now: Date;
  private running: Promise<void> | undefined;
  private loading: Promise<void> | undefined;
  readonly startedAt = Date.now();
  /** Milliseconds from start to the first folder with hits, and to the last folder (for the bench and the log). */
  firstResultsMs: number | undefined;
  finishedMs: number | undefined;

  constructor(
    readonly query: ParsedQuery,
    folders: FolderRef[],
    private readonly options: SearchRunOptions,
  ) {
    this.results = new SearchResults(query, folders, options.pageSize);
    this.now = options.now ?? new Date();
    // every folder waiting for a pooled connection listens for the cancel
    setMaxListeners(0, this.abort.signal);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  onDidChange(listener: (event: SearchRunEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(event: SearchRunEvent): void {
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }

  /** Searches every folder (at most the pool's size per account at once); resolves when all answered or it was cancelled. */
  start(): Promise<void> {
    this.running ??= this.searchAll();
    return this.running;
  }

  private async searchAll(): Promise<void> {
    await Promise.all(this.results.folders().map((folder) => this.searchOne(folder)));
    if (!this.finishedMs) {
      this.finishedMs = Date.now() - this.startedAt;
    }
    this.fire({ rows: false, progress: true });
  }

  private async searchOne(ref: FolderRef): Promise<void> {
    const pool = this.options.pool(ref.accountId);
    try {
      const answer = await pool.use((session) =>
        session.withMailbox(ref.path, async (client) => {
          this.results.setState(ref, 'searching');
          const compiled = compileQuery(this.query, { capabilities: client.capabilities, now: this.now });
          const hits = await searchFolder(client, compiled, this.options.pageSize);
          const page = hits.uids.isEmpty ? { messages: [], below: undefined, rejected: 0 } : await fetchHitPage(client, hits, this.options.pageSize);
          return { hits, page };
        }, { readOnly: true, idempotent: true }), this.abort.signal);
      if (this.abort.signal.aborted) {
        return;
      }
      this.results.setHits(ref, answer.hits, answer.page);
      if (answer.page.messages.length && this.firstResultsMs === undefined) {
        this.firstResultsMs = Date.now() - this.startedAt;
      }
      this.fire({ rows: answer.page.messages.length > 0, progress: true });
    } catch (err) {
      if (isCancelled(err) || this.abort.signal.aborted) {
        this.results.setState(ref, 'cancelled');
      } else {
        this.results.setState(ref, 'failed', toMailError(err));
      }
      this.fire({ rows: false, progress: true });
    }
  }

  /** Shows the next page of rows, fetching further pages of the folders it needs (in parallel). */
  loadMore(): Promise<void> {
    const previous = this.loading ?? Promise.resolve();
    const next = previous.then(() => this.fetchUntilShown(this.results.showMore()));
    this.loading = next.finally(() => {
      if (this.loading === next) {
        this.loading = undefined;
      }
    });
    return next;
  }

  private async fetchUntilShown(first: FolderRef[]): Promise<void> {
    let folders = first;
    for (let round = 0; folders.length && round < 50 && !this.abort.signal.aborted; round++) {
      await Promise.all(folders.map((ref) => this.fetchNext(ref)));
      folders = this.results.foldersToFetch();
    }
    this.fire({ rows: true, progress: false });
  }

  private async fetchNext(ref: FolderRef): Promise<void> {
    const folder = this.results.folder(ref);
    const hits = folder?.hits;
    if (!folder || !hits || folder.below === undefined) {
      return;
    }
    const below = folder.below;
    try {
      const page = await this.options.pool(ref.accountId).use((session) =>
        session.withMailbox(ref.path, async (client, mailbox) => {
          if (String(mailbox.uidValidity) !== hits.uidValidity) {
            return undefined;
          }
          return fetchHitPage(client, hits, this.options.pageSize, below);
        }, { readOnly: true, idempotent: true }), this.abort.signal);
      if (page) {
        this.results.addPage(ref, hits.uidValidity, page);
      } else {
        // UIDVALIDITY changed (RFC 3501 2.3.1.1): what we held of the folder means nothing now
        this.results.remove(ref, hits.uids.newest(Number.MAX_SAFE_INTEGER));
      }
    } catch (err) {
      if (!isCancelled(err)) {
        this.results.setState(ref, 'failed', toMailError(err));
      }
    }
  }

  /** Stops the search: folders not answered yet are given up, their connections closed. */
  cancel(): void {
    if (this.abort.signal.aborted) {
      return;
    }
    this.abort.abort();
    this.results.cancel();
    if (!this.finishedMs) {
      this.finishedMs = Date.now() - this.startedAt;
    }
    this.fire({ rows: false, progress: true });
  }

  // ---- live updates: called by the Mail view with what its store learned ----

  /** Flags of a message changed (our action, another client). */
  flagsChanged(ref: FolderRef, uid: number, flags: string[]): void {
    if (this.results.setFlags(ref, uid, flags)) {
      this.fire({ rows: true, progress: false });
    }
  }

  /** Messages left a folder. */
  removed(ref: FolderRef, uids: number[]): void {
    if (this.results.remove(ref, uids)) {
      this.fire({ rows: true, progress: false });
    }
  }

  /**
   * New messages arrived in a folder of the result: the server says which of them match (one UID
   * SEARCH restricted to their UIDs), and the matching ones are fetched and added.
   */
  async arrived(ref: FolderRef, uids: number[]): Promise<void> {
    const folder = this.results.folder(ref);
    const hits = folder?.hits;
    const fresh = uids.filter((u) => u > 0 && !hits?.uids.has(u));
    if (!folder || !hits || !fresh.length || this.abort.signal.aborted) {
      return;
    }
    try {
      const messages = await this.options.pool(ref.accountId).use((session) =>
        session.withMailbox(ref.path, async (client, mailbox) => {
          if (String(mailbox.uidValidity) !== hits.uidValidity) {
            return [];
          }
          if (Math.max(...fresh) >= mailbox.uidNext) {
            // this connection has not seen them yet: Dovecot makes new mail visible to a session
            // only at the end of a command, so a SEARCH now would not find them
            await client.noop();
          }
          const compiled = compileQuery(this.query, { capabilities: client.capabilities, now: this.now });
          const matched = await matchUids(client, compiled, fresh);
          return (await fetchSummaries(client, matched.uids.newest(fresh.length))).filter((m) => isHit(matched, m));
        }, { readOnly: true, idempotent: true }), this.abort.signal);
      if (this.results.add(ref, hits.uidValidity, messages)) {
        this.fire({ rows: true, progress: false });
      }
    } catch (err) {
      if (!isCancelled(err)) {
        this.results.setState(ref, 'failed', toMailError(err));
        this.fire({ rows: false, progress: true });
      }
    }
  }

  dispose(): void {
    this.cancel();
    this.listeners.clear();
  }
}
