// The loads of one account, feeding its store: the folder list (from the header cache at once,
// then LIST), a folder's first page (from the cache, then resynced; or one UID FETCH), "Load
// more", resyncs, counts, and writing the cache back. Every result goes into the store through
// apply(); nobody waits for these loads to draw anything: the store's event redraws.
// The same load is never run twice at once, and a load never starts again by itself after it
// failed: the error is shown until the user retries (retry()).
import { type MailError, toMailError } from '../errors';
import { type Logger } from '../log';
import { listFolders } from './folders';
import { type HeaderCache, restoreWindow } from './headerCache';
import { fetchHeaderPage } from './headers';
import { resyncCached } from './folderSync';
import { type MailSession } from './session';
import { type MailStore, type StoreEvent } from './store';
import { FolderWindow } from './window';

export interface AccountSyncDeps {
  store: MailStore;
  /** The account's main connection (SessionPool.get). */
  session(): MailSession;
  /** The header cache, when it is turned on. */
  cache(): HeaderCache | undefined;
  /** What the cache of this account is filed under (headerCache.cacheKeyOf). */
  cacheKey: string;
  pageSize(): number;
  subscribedOnly(): boolean;
  logger: Logger;
  /** The account, for log lines. */
  label: string;
}

/** How long changes gather before a window is written to the cache, in ms. */
const SAVE_DELAY_MS = 1000;
/** How long count refreshes gather into one LIST-STATUS, in ms. */
const COUNTS_DELAY_MS = 300;

export class AccountSync {
  private readonly running = new Map<string, Promise<void>>();
  /** Work asked for again while it was running: run once more after it. */
  private readonly again = new Set<string>();
  private listed = false;
  /** Windows brought up to date with the server in this session (not only restored from the cache). */
  private readonly current = new Set<string>();
  private readonly saveTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private countsTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly subscription: { dispose(): void };

  constructor(private readonly deps: AccountSyncDeps) {
    this.subscription = deps.store.onDidChange((event) => this.react(event));
  }

  private get store(): MailStore {
    return this.deps.store;
  }

  private react(event: StoreEvent): void {
    for (const { path, source } of event.changes) {
      if (source !== 'cache') {
        this.scheduleSave(path);
      }
    }
    for (const path of event.stale) {
      void this.resync(path);
    }
  }

  /** Runs `work` unless the same work is running; resolves when that run ends. */
  private once(key: string, work: () => Promise<void>): Promise<void> {
    const running = this.running.get(key);
    if (running) {
      return running;
    }
    const run = work()
      .catch((err: unknown) => this.deps.logger.warn(`[${this.deps.label}] ${key}: ${toMailError(err).message}`))
      .finally(() => this.running.delete(key));
    this.running.set(key, run);
    return run;
  }

  /** Runs `work` now, or once more after the run in progress (whose answer may predate the reason to ask). */
  private rerun(key: string, work: () => Promise<void>): Promise<void> {
    const running = this.running.get(key);
    if (running) {
      this.again.add(key);
      return running;
    }
    return this.once(key, async () => {
      do {
        this.again.delete(key);
        await work();
      } while (this.again.has(key) && !this.disposed);
    });
  }

  private fail(path: string | undefined, err: unknown, what: string): MailError {
    const error = toMailError(err);
    this.deps.logger.warn(`[${this.deps.label}] ${what}: ${error.message}`);
    if (!this.disposed) {
      this.store.apply({ type: 'failed', ...(path !== undefined ? { path } : {}), error });
    }
    return error;
  }

  // ---- the folder list ----

  /** Shows the folders: the cached list at once, then the server's (once per session). */
  ensureFolders(): void {
    if (this.listed) {
      return;
    }
    this.listed = true;
    const cache = this.deps.cache();
    if (!this.store.folders && cache) {
      void this.once('cached folders', async () => {
        const cached = await cache.loadFolders(this.deps.cacheKey);
        if (cached && !this.disposed) {
          // ignored by the store once the server's list is there
          this.store.apply({ type: 'folders', folders: cached, source: 'cache', asked: 0 });
        }
      });
    }
    void this.refreshFolders();
  }

  /** The folder list and every count from the server (after a folder was created, renamed...). */
  refreshFolders(): Promise<void> {
    return this.rerun('list', () => this.list());
  }

  /** One LIST (with LIST-STATUS): the folder tree and every count. */
  private async list(): Promise<void> {
    const asked = this.store.ticket();
    try {
      const folders = await this.deps.session().run((client) => listFolders(client, { subscribedOnly: this.deps.subscribedOnly() }), { idempotent: true });
      if (this.disposed) {
        return;
      }
      this.store.apply({ type: 'folders', folders, source: 'server', asked });
      void this.deps.cache()?.saveFolders(this.deps.cacheKey, folders);
    } catch (err) {
      // the folders already on screen stay, under the account's error
      this.fail(undefined, err, 'cannot list the folders');
    }
  }

  /** Asks the server for every folder's counts again, soon (bursts of changes become one LIST). */
  refreshCounts(): void {
    clearTimeout(this.countsTimer);
    this.countsTimer = setTimeout(() => {
      this.countsTimer = undefined;
      void this.refreshFolders();
    }, COUNTS_DELAY_MS);
  }

  // ---- windows ----

  /** Starts loading a folder's window unless it is there, loading, or failed (then the user retries). */
  ensureWindow(path: string): void {
    if (this.store.window(path) || this.store.failed(path) || this.running.has(`window:${path}`)) {
      return;
    }
    void this.once(`window:${path}`, async () => {
      const generation = this.store.generation(path);
      const cached = await this.deps.cache()?.load(this.deps.cacheKey, path);
      if (cached && !this.disposed && this.store.generation(path) === generation) {
        // shown at once; the resync brings what changed meanwhile
        this.store.apply({ type: 'window', path, window: restoreWindow(cached), generation, source: 'cache' });
        await this.resync(path);
        return;
      }
      await this.firstPage(path);
    });
  }

  /** One UID FETCH of the newest page; replaces whatever the window held. */
  private async firstPage(path: string): Promise<void> {
    const generation = this.store.generation(path);
    const asked = this.store.ticket();
    try {
      const page = await this.deps.session().withMailbox(path, (client, mailbox) => fetchHeaderPage(client, mailbox, this.deps.pageSize()), { idempotent: true });
      if (this.disposed) {
        return;
      }
      this.store.apply({ type: 'window', path, window: FolderWindow.fromPage(path, page), generation, source: 'server' });
      this.current.add(path);
      if (this.store.heardAfter(path, asked)) {
        // the server reported a change while this page was on its way: it may predate it
        void this.resync(path);
      }
    } catch (err) {
      this.fail(path, err, `cannot load ${path}`);
    }
  }

  /** The folder again from its newest page (the user's Refresh). */
  reload(path: string): Promise<void> {
    return this.once(`window:${path}`, () => this.firstPage(path));
  }

  /** The next older page. */
  loadMore(path: string): Promise<void> {
    return this.once(`more:${path}`, async () => {
      const window = this.store.window(path);
      const cursor = window?.next;
      if (!window || !cursor) {
        return;
      }
      const generation = this.store.generation(path);
      try {
        const page = await this.deps.session().withMailbox(path, (client, mailbox) => fetchHeaderPage(client, mailbox, this.deps.pageSize(), cursor), { idempotent: true });
        if (!this.disposed) {
          this.store.apply({ type: 'page', path, page, generation });
        }
      } catch (err) {
        throw this.fail(path, err, `cannot load more of ${path}`);
      }
    });
  }

  /**
   * Brings a window up to date with the server: QRESYNC in the SELECT where possible, else the
   * flags of the loaded range (CHANGEDSINCE where possible), and the mail above it. After a
   * restart, after messages were copied into the folder, after the server reported changes that
   * a page in flight may predate.
   */
  resync(path: string): Promise<void> {
    return this.rerun(`resync:${path}`, () => this.resyncOnce(path));
  }

  private async resyncOnce(path: string): Promise<void> {
    const window = this.store.window(path);
    if (!window) {
      return;
    }
    const generation = this.store.generation(path);
    const snapshot = window.snapshot();
    try {
      const result = await this.deps.session().run((client) => resyncCached(client, snapshot, this.deps.pageSize()), { idempotent: true });
      if (this.disposed) {
        return;
      }
      const event = result.method === 'reload'
        ? this.store.apply({ type: 'window', path, window: FolderWindow.fromPage(path, result.page), generation, source: 'server' })
        : this.store.apply({ type: 'delta', path, delta: result.delta, generation });
      this.current.add(path);
      const change = event?.changes.find((c) => c.path === path)?.change;
      this.deps.logger.info(`[${this.deps.label}] ${path}: resynced by ${result.method}: ${change?.added.length ?? 0} new, ${change?.removed.length ?? 0} gone, ${change?.flagged.length ?? 0} flag changes`);
    } catch (err) {
      this.current.delete(path);
      this.fail(path, err, `cannot resync ${path}`);
    }
  }

  /** Messages were put into a folder (a move or copy, a sent message filed): show them. */
  received(path: string): void {
    if (this.store.window(path)) {
      void this.resync(path);
    }
    this.refreshCounts();
  }

  // ---- the user asks again ----

  /** Forgets the errors, and loads again what failed or was only restored from the cache. */
  retry(): void {
    this.deps.session().retry();
    this.listed = false;
    this.store.apply({ type: 'retry' });
    for (const window of this.store.windows()) {
      if (!this.current.has(window.path)) {
        void this.resync(window.path);
      }
    }
  }

  /** The user's Refresh on the account: the folder list and every loaded window, from the server. */
  refreshAll(): void {
    this.retry();
    this.listed = true;
    void this.refreshFolders();
    for (const window of this.store.windows()) {
      void this.resync(window.path);
    }
  }

  // ---- the cache ----

  private scheduleSave(path: string): void {
    if (!this.deps.cache() || this.saveTimers.has(path)) {
      return;
    }
    this.saveTimers.set(path, setTimeout(() => {
      this.saveTimers.delete(path);
      this.saveNow(path);
    }, SAVE_DELAY_MS));
  }

  private saveNow(path: string): void {
    const window = this.store.window(path);
    if (window) {
      void this.deps.cache()?.save(this.deps.cacheKey, window);
    }
  }

  /** Resolves when every load and resync started so far has ended (tests, and before closing). */
  async settled(): Promise<void> {
    while (this.running.size) {
      await Promise.all([...this.running.values()]);
    }
  }

  dispose(): void {
    for (const [path, timer] of this.saveTimers) {
      clearTimeout(timer);
      this.saveNow(path);
    }
    this.saveTimers.clear();
    clearTimeout(this.countsTimer);
    this.disposed = true;
    this.subscription.dispose();
  }
}
