// The Mail view: a projection of the accounts' stores (core/mail/store.ts). getChildren reads a
// store and returns at once; when data is missing it starts the load, shows "Loading...", and
// the store's event redraws. Each row is one node object for as long as its thing exists (a
// registry keyed by account, folder path, UIDVALIDITY and UID), so a redraw fired at any time
// names a node VS Code still holds.
import * as vscode from 'vscode';
import { type MailError } from '../core/errors';
import { type StoreEvent } from '../core/mail/store';
import { Disposable } from '../util/dispose';
import { t, type UiText, uiPlain } from '../util/ui';
import { type MailModel } from './model';
import { filterNames } from '../core/mail/quickFilter';
import { AccountNode, ErrorNode, FilterMoreNode, FolderNode, LoadMoreNode, MessageNode, type NodeContext, NoticeNode, type TreeNode } from './nodes';
import { type FilteredFolder } from './quickFilters';

export class MailTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = this._register(new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  /** Every node handed to VS Code, by id, and the ids of the rows each one has now. */
  private readonly nodes = new Map<string, TreeNode>();
  private readonly rowsOf = new Map<TreeNode | undefined, Set<string>>();
  private readonly ctx: NodeContext;

  constructor(private readonly model: MailModel) {
    super();
    this.ctx = {
      account: (id) => model.account(id),
      store: (id) => model.store(id),
      lead: () => vscode.workspace.getConfiguration('imapExplorer').get<'subject' | 'sender'>('messageRow.lead', 'subject'),
      filters: (accountId, path) => {
        const filtered = model.filters.get(accountId, path);
        return filtered ? filterNames(filtered.filters) : [];
      },
    };
    this._register(model.filters.onDidChange(({ accountId, path }) => {
      const folder = this.nodes.get(`folder:${accountId}:${path}`);
      if (folder) {
        this.fire([folder]);
      }
    }));
    this._register(model.onDidChange(({ accountId, event }) => this.redraw(accountId, event)));
    this._register(model.onDidChangeAccounts(() => this.fire(undefined)));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('imapExplorer.messageRow')) {
        this.fire(undefined);
      }
    }));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.treeItem();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  getChildren(node?: TreeNode): TreeNode[] {
    this.drawn.asked(node);
    return this.remember(node, this.rows(node));
  }

  private rows(node: TreeNode | undefined): TreeNode[] {
    if (!node) {
      const accounts = this.model.accounts();
      void vscode.commands.executeCommand('setContext', 'imapExplorer.accountCount', accounts.length);
      return accounts.map((a) => this.node(`account:${a.id}`, () => new AccountNode(this.ctx, a)));
    }
    if (node instanceof AccountNode) {
      return this.accountRows(node);
    }
    if (node instanceof FolderNode) {
      return this.folderRows(node);
    }
    return [];
  }

  /** Keeps the rows of `parent`, and forgets the nodes (and their rows) that are no longer among them. */
  private remember(parent: TreeNode | undefined, rows: TreeNode[]): TreeNode[] {
    const ids = new Set(rows.map((r) => r.id));
    for (const id of this.rowsOf.get(parent) ?? []) {
      if (!ids.has(id)) {
        this.forget(id);
      }
    }
    this.rowsOf.set(parent, ids);
    return rows;
  }

  private forget(id: string): void {
    const node = this.nodes.get(id);
    if (!node) {
      return;
    }
    this.nodes.delete(id);
    for (const child of this.rowsOf.get(node) ?? []) {
      this.forget(child);
    }
    this.rowsOf.delete(node);
    this.drawn.collapsed(node);
  }

  /** The same node for the same id; `make` only when there is none yet. */
  private node<T extends TreeNode>(id: string, make: () => T): T {
    let node = this.nodes.get(id) as T | undefined;
    if (!node) {
      node = make();
      this.nodes.set(id, node);
    }
    return node;
  }

  private accountRows(node: AccountNode): TreeNode[] {
    const accountId = node.account.id;
    const store = this.model.store(accountId);
    if (!store) {
      return [];
    }
    this.model.loader(accountId)?.ensureFolders();
    const rows: TreeNode[] = [];
    const error = store.accountError;
    if (error?.code === 'NO_PASSWORD') {
      // a first run on this machine, not a failure
      rows.push(this.node(`signin:${node.id}`, () => new NoticeNode(this.ctx, node, 'signin', () => ({
        label: t('Sign in'),
        icon: 'key',
        tooltip: t('No password is stored for {0} in VS Code yet.', uiPlain(node.account.email)),
        command: { command: 'imapExplorer.enterPassword', title: vscode.l10n.t('Sign in'), arguments: [accountId] },
      }))));
    } else if (error) {
      rows.push(this.node(`error:${node.id}`, () => new ErrorNode(this.ctx, node, () => this.model.store(accountId)?.accountError)));
    }
    const folders = store.folders;
    if (!folders) {
      if (!error) {
        rows.push(this.loading(node));
      }
      return rows;
    }
    if (!folders.length) {
      rows.push(this.notice(node, 'empty', t('No folders')));
    }
    return [...rows, ...folders.map((f) => this.node(`folder:${accountId}:${f.path}`, () => new FolderNode(this.ctx, accountId, f, node)))];
  }

  private folderRows(node: FolderNode): TreeNode[] {
    const { accountId, path } = node;
    const store = this.model.store(accountId);
    const folder = store?.folder(path);
    if (!store || !folder) {
      return [];
    }
    const rows: TreeNode[] = folder.children.map((f) => this.node(`folder:${accountId}:${f.path}`, () => new FolderNode(this.ctx, accountId, f, node)));
    if (!folder.selectable) {
      return rows;
    }
    if (store.folderError(path)) {
      rows.push(this.node(`error:${node.id}`, () => new ErrorNode(this.ctx, node, () => this.model.store(accountId)?.folderError(path))));
    }
    const filtered = this.model.filters.get(accountId, path);
    if (filtered) {
      return [...rows, ...this.filteredRows(node, filtered)];
    }
    const window = store.window(path);
    if (!window) {
      if (!store.failed(path)) {
        this.model.loader(accountId)?.ensureWindow(path);
        rows.push(this.loading(node));
      } else if (!store.folderError(path)) {
        // the account's error says why, once, on the account row
        rows.push(this.notice(node, 'offline', t('Not loaded (see the account)')));
      }
      return rows;
    }
    for (const m of window.messages) {
      rows.push(this.node(`message:${accountId}:${path}:${window.uidValidity}:${m.uid}`, () => new MessageNode(this.ctx, node, window.uidValidity, m)));
    }
    if (window.next) {
      rows.push(this.node(`more:${accountId}:${path}`, () => new LoadMoreNode(this.ctx, node)));
    } else if (!window.size) {
      rows.push(this.notice(node, 'empty', t('No messages')));
    }
    return rows;
  }

  /**
   * A filtered folder's rows: its quick filter's matches, newest first, a page at a time. A row is
   * the same node as the folder's unfiltered row of that message (one id), so turning the filter
   * off and on keeps the selection. The folder's window is still loaded: it keeps the counts and
   * the live updates that reach the filter (QuickFilters.storeChanged).
   */
  private filteredRows(node: FolderNode, filtered: FilteredFolder): TreeNode[] {
    const { accountId, path } = node;
    const store = this.model.store(accountId);
    if (store && !store.window(path) && !store.failed(path)) {
      this.model.loader(accountId)?.ensureWindow(path);
    }
    const results = filtered.run.results;
    const rows: TreeNode[] = results.rows().map((hit) =>
      this.node(`message:${accountId}:${path}:${hit.uidValidity}:${hit.message.uid}`, () => new MessageNode(this.ctx, node, hit.uidValidity, hit.message)).seen(hit.message));
    if (results.hasMore) {
      rows.push(this.node(`filtermore:${accountId}:${path}`, () => new FilterMoreNode(this.ctx, node, () => {
        const current = this.model.filters.get(accountId, path)?.run.results;
        return { shown: current?.rows().length ?? 0, total: current?.count ?? 0 };
      })));
    }
    for (const failed of results.failures) {
      rows.push(this.node(`filtererror:${node.id}`, () => new NoticeNode(this.ctx, node, 'filtererror', () => ({
        label: t('The quick filter failed: {0}', uiPlain(this.model.filters.get(accountId, path)?.run.results.failures[0]?.error?.message ?? failed.error?.message ?? '', 300)),
        icon: 'error',
      }))));
    }
    if (!rows.length) {
      rows.push(results.finished ? this.notice(node, 'nomatch', t('No messages match the quick filter')) : this.notice(node, 'filtering', t('Filtering...'), 'loading~spin'));
    }
    return rows;
  }

  private loading(parent: TreeNode): TreeNode {
    return this.notice(parent, 'loading', t('Loading...'), 'loading~spin');
  }

  private notice(parent: TreeNode, kind: string, label: UiText, icon = 'info'): TreeNode {
    return this.node(`${kind}:${parent.id}`, () => new NoticeNode(this.ctx, parent, kind, () => ({ label, icon })));
  }

  // ---- redraws ----

  /** Redraws exactly the rows a store change names. */
  private redraw(accountId: string, event: StoreEvent): void {
    const nodes = new Set<TreeNode>();
    const account = this.nodes.get(`account:${accountId}`);
    if (event.account && account) {
      nodes.add(account);
    }
    for (const path of event.folders) {
      const folder = this.nodes.get(`folder:${accountId}:${path}`);
      if (folder) {
        nodes.add(folder);
      }
    }
    for (const [path, uids] of event.messages) {
      const window = this.model.store(accountId)?.window(path);
      for (const uid of uids) {
        const message = window && this.nodes.get(`message:${accountId}:${path}:${window.uidValidity}:${uid}`);
        if (message) {
          nodes.add(message);
        }
      }
    }
    if (nodes.size) {
      this.fire([...nodes]);
    }
  }

  private fire(nodes: TreeNode[] | undefined): void {
    this.drawn.redrawing(nodes);
    this.changed.fire(nodes);
  }

  /** Rows of a node VS Code is drawing again, and when it took them (see DrawTracker). */
  readonly drawn = new DrawTracker();

  /** Every account again from the server (the view's Refresh, a trusted certificate, a saved account). */
  refresh(): void {
    for (const account of this.model.accounts()) {
      this.model.loader(account.id)?.refreshAll();
    }
    this.fire(undefined);
  }

  /** The error shown on the account's row, if any. */
  accountError(accountId: string): MailError | undefined {
    return this.model.accountError(accountId);
  }

  /** The account's row and everything below it, from the server. */
  refreshAccount(accountId: string): void {
    this.model.loader(accountId)?.refreshAll();
  }
}

/**
 * VS Code forgets the rows below a node it redraws until it asked for them again: a command
 * that reads the selection in between finds nothing. This knows which nodes VS Code holds rows
 * of (it asked for them, and they were not collapsed since) and which of those it was told to
 * redraw; `settled()` resolves once it asked for all of them again.
 */
export class DrawTracker {
  private readonly held = new Set<TreeNode | undefined>();
  private readonly pending = new Set<TreeNode | undefined>();
  private waiters: Array<() => void> = [];
  private waking = false;

  asked(node: TreeNode | undefined): void {
    this.held.add(node);
    this.pending.delete(node);
    this.wake();
  }

  collapsed(node: TreeNode): void {
    for (const held of [...this.held]) {
      if (held && isWithin(held, node)) {
        this.held.delete(held);
        this.pending.delete(held);
      }
    }
    this.wake();
  }

  redrawing(nodes: TreeNode[] | undefined): void {
    for (const held of this.held) {
      if (!nodes || nodes.some((n) => held && isWithin(held, n))) {
        this.pending.add(held);
      }
    }
  }

  /** Resolves when VS Code took the rows of every node it redraws (at most `timeoutMs` later). */
  settled(timeoutMs = 2000): Promise<void> {
    if (!this.pending.size) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private wake(): void {
    if (this.pending.size || !this.waiters.length || this.waking) {
      return;
    }
    // VS Code registers the rows it just took only after a few more promise turns (it awaits
    // getChildren, then every getTreeItem): a waiter resumed at once would still find them
    // missing. After the current macrotask those turns are done.
    this.waking = true;
    setImmediate(() => {
      this.waking = false;
      if (!this.pending.size) {
        const waiters = this.waiters;
        this.waiters = [];
        waiters.forEach((w) => w());
      }
    });
  }
}

function isWithin(node: TreeNode, ancestor: TreeNode): boolean {
  for (let n: TreeNode | undefined = node; n; n = n.parent) {
    if (n === ancestor) {
      return true;
    }
  }
  return false;
}
