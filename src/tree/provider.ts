// The Mail tree: accounts, their folders (from LIST, loaded when an account is expanded) and
// header pages (loaded when a folder is expanded, "Load more" for the next page).
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { MailError, toMailError } from '../core/errors';
import { listFolders } from '../core/folders';
import { fetchHeaderPage } from '../core/headers';
import { Disposable } from '../util/dispose';
import { AccountNode, actionFor, ErrorNode, FolderNode, InfoNode, LoadMoreNode, type MessageRef, MessageNode, type TreeHost, type TreeNode } from './nodes';

export class MailTreeProvider extends Disposable implements vscode.TreeDataProvider<TreeNode>, TreeHost {
  private readonly changed = this._register(new vscode.EventEmitter<TreeNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private roots: AccountNode[] | undefined;
  private readonly accountErrors = new Map<string, MailError>();

  constructor(
    private readonly accounts: AccountStore,
    private readonly sessions: SessionPool,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(accounts.onDidChange(() => this.refresh()));
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
   * Resolves once no getChildren call is running. While VS Code refreshes a folder it forgets the
   * folder's rows until getChildren returns, so the selection it reports in that window resolves
   * to nothing; commands that read the selection wait for this first.
   */
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

  async loadFolders(node: AccountNode): Promise<TreeNode[]> {
    const session = this.sessions.get(node.account.id);
    const folders = await session.run((client) => listFolders(client), { idempotent: true });
    this.accountErrors.delete(node.account.id);
    const previous = new Map((node.folders ?? []).flatMap(flatten).map((f) => [f.folder.path, f]));
    node.folders = folders.map((f) => new FolderNode(node.account, f, node));
    // keep loaded pages of folders that are still there (an account refresh updates counts only)
    for (const folderNode of node.folders.flatMap(flatten)) {
      const old = previous.get(folderNode.folder.path);
      if (old?.messages.loaded) {
        Object.assign(folderNode.messages, old.messages);
      }
    }
    if (node.folders.length === 0) {
      return [new InfoNode(node, vscode.l10n.t('No folders'), `${node.account.id}:nofolders`)];
    }
    return node.folders;
  }

  async loadMessages(node: FolderNode): Promise<TreeNode[]> {
    if (!node.messages.loaded) {
      await this.loadPage(node, true);
    }
    const rows: TreeNode[] = node.messages.messages.map((m) => new MessageNode(node, m));
    if (node.messages.next) {
      rows.push(new LoadMoreNode(node));
    }
    if (rows.length === 0) {
      rows.push(new InfoNode(node, vscode.l10n.t('No messages'), `${node.accountId}:${node.folder.path}:empty`));
    }
    return rows;
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
  }

  async loadMore(node: FolderNode): Promise<void> {
    await this.loadPage(node, false);
    this.changed.fire(node);
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
