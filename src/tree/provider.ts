// The Mail tree: accounts, their folders (from LIST, loaded when an account is expanded) and
// header pages (loaded when a folder is expanded, "Load more" for the next page).
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { MailError, toMailError } from '../core/errors';
import { type FolderMessages } from '../core/mail/folderModel';
import { type FolderInfo, flattenFolders, listFolders } from '../core/mail/folders';
import { type FolderChange, resyncCached } from '../core/mail/folderSync';
import { cacheKeyOf, type HeaderCache, restoreModel } from '../core/mail/headerCache';
import { fetchHeaderPage } from '../core/mail/headers';
import { Disposable } from '../util/dispose';
import { AccountNode, actionFor, ErrorNode, FolderNode, InfoNode, LoadMoreNode, type MessageRef, MessageNode, type TreeHost, type TreeNode } from './nodes';

export class MailTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode>, TreeHost {
  private readonly changed = this._register(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private roots: AccountNode[] | undefined;
  private readonly accountErrors = new Map<string, MailError>();

  private cacheKeys = new Map<string, string>();

  constructor(
    private readonly accounts: AccountStore,
    private readonly sessions: SessionPool,
    private readonly log: vscode.LogOutputChannel,
    /** The header cache, when it is turned on (`imapExplorer.cache.enabled`). */
    private readonly headerCache: () => HeaderCache | undefined = () => undefined,
  ) {
    super();
    this.rememberCacheKeys();
    this._register(accounts.onDidChange(() => {
      this.forgetRemovedAccounts();
      this.refresh();
    }));
    this._register({ dispose: () => this.saveAllNow() });
  }

  private rememberCacheKeys(): void {
    this.cacheKeys = new Map(this.accounts.all().map((a) => [a.id, cacheKeyOf(a)]));
  }

  /** An account that was removed, or now points at another server or user, leaves no cache behind. */
  private forgetRemovedAccounts(): void {
    const current = new Set(this.accounts.all().map(cacheKeyOf));
    for (const key of this.cacheKeys.values()) {
      if (!current.has(key)) {
        void this.headerCache()?.clearAccount(key);
      }
    }
    this.rememberCacheKeys();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  private pending = 0;
  private readonly idle = this._register(new vscode.EventEmitter<void>());

  /**
   * The selection, waiting out a refresh: while VS Code refreshes a folder it forgets the folder's
   * rows until getChildren returned and their items were resolved, so a selection reported in
   * that window resolves to nothing for a moment.
   */
  async settledSelection(read: () => readonly TreeNode[], timeoutMs = 1500): Promise<readonly TreeNode[]> {
    const deadline = Date.now() + timeoutMs;
    let selected = read();
    while (!selected.length && Date.now() < deadline) {
      await this.whenIdle(timeoutMs);
      await new Promise((r) => setTimeout(r, 25));
      selected = read();
    }
    return selected;
  }

  /** Resolves once no getChildren call is running. */
  whenIdle(timeoutMs = 3000): Promise<void> {
    if (this.pending === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(finish, timeoutMs);
      const listener = this.idle.event(finish);
      function finish() {
        clearTimeout(timer);
        listener.dispose();
        resolve();
      }
    });
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    this.pending++;
    try {
      return await this.children(node);
    } finally {
      if (--this.pending === 0) {
        // let VS Code register the returned rows before anyone reads the selection again
        setTimeout(() => this.idle.fire(), 0);
      }
    }
  }

  private async children(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      const accounts = this.accounts.all();
      void vscode.commands.executeCommand('setContext', 'imapExplorer.accountCount', accounts.length);
      this.roots = accounts.map((a) => this.roots?.find((r) => r.account.id === a.id && JSON.stringify(r.account) === JSON.stringify(a)) ?? new AccountNode(a));
      return this.roots;
    }
    try {
      return await node.children(this);
    } catch (err) {
      // never a toast from getChildren: the error becomes a row
      const error = toMailError(err);
      this.log.error(`Loading ${node.treeItem().id ?? 'tree'} failed: ${error.message}`);
      return [this.errorRow(node, error)];
    }
  }

  accountNodes(): AccountNode[] {
    return this.roots ?? [];
  }

  accountError(accountId: string): MailError | undefined {
    return this.accountErrors.get(accountId);
  }

  private errorRow(node: TreeNode, error: MailError): ErrorNode {
    const accountId = node instanceof AccountNode ? node.account.id : node instanceof FolderNode ? node.accountId : '';
    if (accountId) {
      this.accountErrors.set(accountId, error);
    }
    const retry = node instanceof FolderNode
      ? { label: vscode.l10n.t('Retry'), command: 'imapExplorer.refresh', args: [node] }
      : { label: vscode.l10n.t('Retry'), command: 'imapExplorer.retryAccount', args: [accountId] };
    return new ErrorNode(node, error, actionFor(error, accountId, retry), `${node.treeItem().id}:${error.code}`);
  }

  private subscribedOnly(): boolean {
    return vscode.workspace.getConfiguration('imapExplorer').get<boolean>('showSubscribedOnly', false);
  }

  private listFolders(accountId: string): Promise<FolderInfo[]> {
    return this.sessions.get(accountId).run((client) => listFolders(client, { subscribedOnly: this.subscribedOnly() }), { idempotent: true });
  }

  async loadFolders(node: AccountNode): Promise<TreeNode[]> {
    const accountId = node.account.id;
    const cache = this.headerCache();
    let folders: FolderInfo[] | undefined;
    let fromServer = false;
    let offline: MailError | undefined;
    const fresh = node.fresh;
    node.fresh = undefined;
    if (fresh && 'folders' in fresh) {
      folders = fresh.folders;
      fromServer = true;
    } else if (fresh) {
      // the background LIST failed: the cached folders stay, under a row that says why
      offline = fresh.error;
      folders = node.folders?.map((f) => f.folder);
    } else if (!node.folders && !node.cacheChecked && cache) {
      node.cacheChecked = true;
      folders = await cache.loadFolders(cacheKeyOf(node.account));
      const session = this.sessions.get(accountId);
      if (folders && session.state === 'failed' && session.lastError) {
        // the start already failed (a refused password): say so with the cached rows. A LIST would
        // fail at once, and its redraw, fired while VS Code still draws these rows, can get lost.
        offline = session.lastError;
      } else if (folders) {
        // shown at once; the real list replaces it when it arrives
        this.refreshFoldersInBackground(node);
      }
    }
    if (!folders) {
      try {
        folders = await this.listFolders(accountId);
        fromServer = true;
      } catch (err) {
        if (!node.folders) {
          throw err;
        }
        // a refresh that fails (a password changed on the server): the folders already on screen
        // stay, under a row that says why, as after a start from the cache
        offline = toMailError(err);
        this.log.warn(`Cannot list the folders of ${node.account.email}: ${offline.message}`);
        folders = node.folders.map((f) => f.folder);
      }
    }
    if (!offline) {
      this.accountErrors.delete(accountId);
    }
    if (fromServer) {
      void cache?.saveFolders(cacheKeyOf(node.account), folders);
    }
    const previous = new Map((node.folders ?? []).flatMap(flatten).map((f) => [f.folder.path, f]));
    node.folders = folders.map((f) => new FolderNode(node.account, f, node));
    // keep loaded pages of folders that are still there (an account refresh updates counts only)
    for (const folderNode of node.folders.flatMap(flatten)) {
      const old = previous.get(folderNode.folder.path);
      if (old) {
        folderNode.messages = old.messages;
        folderNode.cache = old.cache;
      }
    }
    const rows: TreeNode[] = node.folders.length ? [...node.folders] : [new InfoNode(node, vscode.l10n.t('No folders'), `${accountId}:nofolders`)];
    if (offline) {
      rows.unshift(this.errorRow(node, offline));
    }
    return rows;
  }

  private refreshFoldersInBackground(node: AccountNode): void {
    void this.listFolders(node.account.id).then(
      (folders) => {
        node.fresh = { folders };
      },
      (err: unknown) => {
        const error = toMailError(err);
        this.log.warn(`Cannot list the folders of ${node.account.email}: ${error.message}`);
        node.fresh = { error };
      },
    ).then(() => this.changed.fire(node));
  }

  async loadMessages(node: FolderNode): Promise<TreeNode[]> {
    if (!node.messages.loaded) {
      const cache = this.headerCache();
      const cached = cache && !node.cache.checked ? await cache.load(cacheKeyOf(node.account), node.folder.path) : undefined;
      node.cache.checked = true;
      if (cached && !node.messages.loaded) {
        restoreModel(node.messages, cached);
        this.resyncInBackground(node);
      } else if (!node.messages.loaded) {
        await this.loadPage(node, true);
      }
      this.folderLoaded.fire({ accountId: node.accountId, path: node.folder.path });
    }
    const rows: TreeNode[] = node.messages.messages.map((m) => new MessageNode(node, m));
    if (node.messages.next) {
      rows.push(new LoadMoreNode(node));
    }
    if (rows.length === 0) {
      rows.push(new InfoNode(node, vscode.l10n.t('No messages'), `${node.accountId}:${node.folder.path}:empty`));
    }
    if (node.cache.error) {
      rows.unshift(this.errorRow(node, node.cache.error));
    }
    return rows;
  }

  /** Brings headers restored from the cache up to date (QRESYNC in the SELECT where possible). */
  private resyncInBackground(node: FolderNode): void {
    const { accountId } = node;
    const path = node.folder.path;
    node.cache.syncing = true;
    const model = node.messages;
    void this.sessions.get(accountId).run((client) => resyncCached(client, path, model, this.pageSize()), { idempotent: true }).then(
      ({ change, method }) => {
        node.cache.error = undefined;
        this.log.info(`${path}: headers from the cache, resynced by ${method}: ${change.added.length} new, ${change.removed.length} gone, ${change.flagged.length} flag changes`);
        this.resynced.fire({ accountId, path, change });
        this.scheduleSave(node);
      },
      (err: unknown) => {
        const error = toMailError(err);
        this.log.warn(`Cannot resync ${path}: ${error.message}`);
        node.cache.error = error;
        this.accountErrors.set(accountId, error);
      },
    ).finally(() => {
      node.cache.syncing = false;
      // by path: the background LIST may have replaced this node meanwhile (sharing its messages);
      // an event for the old node would leave the rows of the new one stale on screen
      this.folderChanged(accountId, path);
    });
  }

  private readonly resynced = this._register(new vscode.EventEmitter<{ accountId: string; path: string; change: FolderChange }>());
  /** Headers restored from the cache were brought up to date: what changed meanwhile. */
  readonly onDidResync = this.resynced.event;

  private readonly saveTimers = new Map<FolderNode, ReturnType<typeof setTimeout>>();

  /** Writes a folder's loaded headers to the cache soon (bursts of changes become one write). */
  private scheduleSave(node: FolderNode): void {
    if (!this.headerCache() || !node.messages.loaded || this.saveTimers.has(node)) {
      return;
    }
    this.saveTimers.set(node, setTimeout(() => {
      this.saveTimers.delete(node);
      this.saveNow(node);
    }, 1000));
  }

  private saveNow(node: FolderNode): void {
    if (node.messages.loaded && !node.cache.syncing) {
      void this.headerCache()?.save(cacheKeyOf(node.account), node.folder.path, node.messages);
    }
  }

  private saveAllNow(): void {
    for (const [node, timer] of this.saveTimers) {
      clearTimeout(timer);
      this.saveNow(node);
    }
    this.saveTimers.clear();
  }

  private pageSize(): number {
    const size = vscode.workspace.getConfiguration('imapExplorer').get<number>('pageSize', 50);
    return Math.min(500, Math.max(10, Math.floor(size)));
  }

  async loadPage(node: FolderNode, first: boolean): Promise<void> {
    const session = this.sessions.get(node.accountId);
    const cursor = first ? undefined : node.messages.next;
    if (!first && !cursor) {
      return;
    }
    const page = await session.withMailbox(node.folder.path, (client, mailbox) => fetchHeaderPage(client, mailbox, this.pageSize(), cursor), { idempotent: true });
    node.messages.addPage(page, first);
    node.cache.error = undefined;
    this.scheduleSave(node);
  }

  async loadMore(node: FolderNode): Promise<void> {
    await this.loadPage(node, false);
    this.folderChanged(node.accountId, node.folder.path);
  }

  refresh(node?: TreeNode): void {
    if (!node) {
      this.roots = undefined;
      this.accountErrors.clear();
      this.changed.fire(undefined);
      return;
    }
    if (node instanceof FolderNode) {
      node.messages.reset();
    }
    if (node instanceof AccountNode) {
      node.folders?.flatMap(flatten).forEach((f) => f.messages.reset());
      this.accountErrors.delete(node.account.id);
    }
    this.changed.fire(node);
  }

  refreshAccount(accountId: string): void {
    const node = this.roots?.find((r) => r.account.id === accountId);
    this.refresh(node);
  }

  findFolder(accountId: string, path: string): FolderNode | undefined {
    const account = this.roots?.find((r) => r.account.id === accountId);
    return account?.folders?.flatMap(flatten).find((f) => f.folder.path === path);
  }

  /** Updates a message's flags in the model and the rows that show them (the folder's unread count). */
  applyFlag(ref: MessageRef, flag: string, on: boolean): void {
    const folder = this.findFolder(ref.accountId, ref.path);
    if (!folder || (ref.uidValidity && folder.messages.uidValidity !== ref.uidValidity)) {
      return;
    }
    if (folder.messages.setFlag(ref.uid, flag, on) && flag === '\\Seen' && folder.folder.unseen !== undefined) {
      folder.folder.unseen = Math.max(0, folder.folder.unseen + (on ? -1 : 1));
    }
    this.changed.fire(folder);
  }

  /** The loaded messages of a folder, or undefined when nobody expanded it (live updates use this). */
  folderModel(accountId: string, path: string): FolderMessages | undefined {
    const folder = this.findFolder(accountId, path);
    return folder?.messages.loaded ? folder.messages : undefined;
  }

  /** All folders of an account as listed last (for pickers), without asking the server again. */
  knownFolders(accountId: string): FolderInfo[] | undefined {
    const account = this.roots?.find((r) => r.account.id === accountId);
    return account?.folders?.flatMap(flatten).map((f) => f.folder);
  }

  private readonly pendingFolders = new Set<FolderNode>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** Re-renders a folder (and its rows) soon; bursts of changes become one refresh. */
  folderChanged(accountId: string, path: string): void {
    const folder = this.findFolder(accountId, path);
    if (!folder) {
      return;
    }
    this.pendingFolders.add(folder);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      for (const f of this.pendingFolders) {
        this.changed.fire(f);
        this.scheduleSave(f);
      }
      this.pendingFolders.clear();
    }, 50);
  }

  /** Sets a folder's unread count from elsewhere (the INBOX watcher's count). */
  setFolderUnseen(accountId: string, path: string, unseen: number): void {
    const folder = this.findFolder(accountId, path);
    if (folder && folder.folder.unseen !== unseen) {
      folder.folder.unseen = unseen;
      this.changed.fire(folder);
    }
  }

  private readonly folderLoaded = this._register(new vscode.EventEmitter<{ accountId: string; path: string }>());
  /** A folder's messages were loaded: the user is looking at it. */
  readonly onDidLoadFolder = this.folderLoaded.event;

  private readonly flagsChanged = this._register(new vscode.EventEmitter<{ accountId: string; path: string; uids: number[] }>());
  /** Flags of loaded messages changed (by us or by another client). */
  readonly onDidChangeFlags = this.flagsChanged.event;

  /** Reflects a flag change we made on the server. */
  setFlagsInModel(accountId: string, path: string, uids: number[], flags: string[], on: boolean): void {
    const folder = this.findFolder(accountId, path);
    if (!folder) {
      return;
    }
    let unseenDelta = 0;
    for (const uid of uids) {
      for (const flag of flags) {
        if (folder.messages.setFlag(uid, flag, on) && flag === '\\Seen') {
          unseenDelta += on ? -1 : 1;
        }
      }
    }
    if (unseenDelta && folder.folder.unseen !== undefined) {
      folder.folder.unseen = Math.max(0, folder.folder.unseen + unseenDelta);
    }
    this.folderChanged(accountId, path);
    this.flagsChanged.fire({ accountId, path, uids });
  }

  /** Reflects messages that left a folder (moved, deleted, expunged). */
  removeFromModel(accountId: string, path: string, uids: number[]): void {
    const folder = this.findFolder(accountId, path);
    if (!folder) {
      return;
    }
    const removed = folder.messages.remove(uids);
    if (folder.folder.unseen !== undefined) {
      folder.folder.unseen = Math.max(0, folder.folder.unseen - removed.filter((m) => !m.flags.includes('\\Seen')).length);
    }
    if (folder.folder.total !== undefined) {
      folder.folder.total = Math.max(0, folder.folder.total - removed.length);
    }
    this.folderChanged(accountId, path);
  }

  /** A folder received messages: its loaded pages are stale, reload them when shown. */
  invalidateFolder(accountId: string, path: string): void {
    const folder = this.findFolder(accountId, path);
    if (folder?.messages.loaded) {
      folder.messages.reset();
      this.folderChanged(accountId, path);
    }
  }

  private countsTimer = new Map<string, ReturnType<typeof setTimeout>>();

  /** Asks the server for every folder's counts again (one LIST-STATUS) and updates the rows. */
  refreshCounts(accountId: string): void {
    clearTimeout(this.countsTimer.get(accountId));
    this.countsTimer.set(accountId, setTimeout(() => {
      this.countsTimer.delete(accountId);
      void this.updateCounts(accountId);
    }, 300));
  }

  private async updateCounts(accountId: string): Promise<void> {
    const account = this.roots?.find((r) => r.account.id === accountId);
    if (!account?.folders) {
      return;
    }
    try {
      const tree = await this.listFolders(accountId);
      void this.headerCache()?.saveFolders(cacheKeyOf(account.account), tree);
      const fresh = flattenFolders(tree);
      const byPath = new Map(fresh.map((f) => [f.path, f]));
      for (const node of account.folders.flatMap(flatten)) {
        const info = byPath.get(node.folder.path);
        if (info && (info.unseen !== node.folder.unseen || info.total !== node.folder.total)) {
          node.folder.unseen = info.unseen;
          node.folder.total = info.total;
          this.changed.fire(node);
        }
      }
      if (fresh.length !== account.folders.flatMap(flatten).length) {
        this.changed.fire(account);
      }
    } catch (err) {
      this.log.warn(`Cannot update folder counts: ${toMailError(err).message}`);
    }
  }

  summaryOf(ref: MessageRef) {
    const folder = this.findFolder(ref.accountId, ref.path);
    if (!folder || (ref.uidValidity && folder.messages.uidValidity !== ref.uidValidity)) {
      return undefined;
    }
    return folder.messages.find(ref.uid);
  }
}

function flatten(node: FolderNode): FolderNode[] {
  return [node, ...node.subfolders.flatMap(flatten)];
}

export { MessageNode };
