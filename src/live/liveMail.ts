// Live updates in VS Code: one AccountLive per account (watchers IDLE on INBOX and on the folder
// being viewed), applied to the tree; the Mail view's badge and a status bar item show the unread
// count of the watched inboxes; an optional notification names sender and subject, as plain text.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type Keychain } from '../accounts/keychain';
import { type SessionPool } from '../accounts/sessions';
import { type FolderChange } from '../core/mail/folderSync';
import { AccountLive } from '../core/mail/live';
import { type Logger } from '../core/log';
import { senderName } from '../core/text';
import { type TreeNode } from '../tree/nodes';
import { type MailTreeProvider } from '../tree/provider';
import { Disposable } from '../util/dispose';
import { setBadge, showInfo, showWarning, t, uiFormat, uiJoin, uiPlain, UiStatusBarItem } from '../util/ui';

export class LiveMail extends Disposable {
  private readonly live = new Map<string, { live: AccountLive; config: string }>();
  private readonly unseen = new Map<string, number>();
  private readonly status: UiStatusBarItem;
  private readonly removedListeners = new Set<(accountId: string, path: string, uids: number[]) => void>();

  constructor(
    private readonly accounts: AccountStore,
    keychain: Keychain,
    private readonly sessions: SessionPool,
    private readonly tree: MailTreeProvider,
    private readonly view: vscode.TreeView<TreeNode>,
    private readonly logger: Logger,
  ) {
    super();
    this.status = this._register(new UiStatusBarItem('imapExplorer.unread', 'left', 50, t('Unread Mail')));
    this.status.command = 'imapExplorer.mailboxes.focus';
    this._register(accounts.onDidChange(() => this.sync()));
    this._register(keychain.onDidChange((id) => this.restart(id)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('imapExplorer.liveUpdates')) {
          [...this.live.keys()].forEach((id) => this.restart(id));
          this.sync();
        }
      }),
    );
    this.sync();
  }

  private enabled(): boolean {
    return vscode.workspace.getConfiguration('imapExplorer').get<boolean>('liveUpdates.enabled', true);
  }

  /** Tells listeners (the message view) that messages disappeared from a folder. */
  onDidRemove(listener: (accountId: string, path: string, uids: number[]) => void): vscode.Disposable {
    this.removedListeners.add(listener);
    return { dispose: () => this.removedListeners.delete(listener) };
  }

  private sync(): void {
    const accounts = this.enabled() ? this.accounts.all() : [];
    for (const [id, entry] of this.live) {
      const account = accounts.find((a) => a.id === id);
      if (!account || JSON.stringify(account) !== entry.config) {
        this.stop(id);
      }
    }
    for (const account of accounts) {
      if (!this.live.has(account.id)) {
        this.start(account.id);
      }
    }
    this.render();
  }

  private start(accountId: string): void {
    const account = this.accounts.get(accountId);
    if (!account) {
      return;
    }
    const live = new AccountLive(() => this.sessions.createWatcher(accountId), {
      folder: (path) => this.tree.folderModel(accountId, path),
      changed: (path, change) => this.changed(accountId, path, change),
      inboxUnseen: (count) => {
        this.unseen.set(accountId, count);
        this.tree.setFolderUnseen(accountId, 'INBOX', count);
        this.render();
      },
      newMail: (messages) => {
        if (vscode.workspace.getConfiguration('imapExplorer').get<boolean>('notifications.newMail', false)) {
          const first = messages[0];
          const text = messages.length === 1
            ? t('New mail from {0}: {1}', uiPlain(senderName(first.from)), uiPlain(first.subject, 150) || t('(no subject)'))
            : t('{0} new messages in {1}', messages.length, uiPlain(account.email));
          void showInfo(text);
        }
      },
      alert: (text) => void showWarning(t('Message from the mail server {0}: {1}', uiPlain(account.imap.host), uiPlain(text, 400))),
    }, this.logger, account.id);
    this.live.set(accountId, { live, config: JSON.stringify(account) });
    live.start();
  }

  private changed(accountId: string, path: string, change: FolderChange): void {
    this.tree.folderChanged(accountId, path);
    if (change.removed.length) {
      const uids = change.removed.map((m) => m.uid);
      this.removedListeners.forEach((l) => l(accountId, path, uids));
    }
    if (path.toUpperCase() !== 'INBOX') {
      this.tree.refreshCounts(accountId);
    }
  }

  private stop(accountId: string): void {
    const entry = this.live.get(accountId);
    if (entry) {
      this.live.delete(accountId);
      void entry.live.stop();
    }
    this.unseen.delete(accountId);
  }

  private restart(accountId: string): void {
    this.stop(accountId);
    if (this.enabled() && this.accounts.get(accountId)) {
      this.start(accountId);
    }
    this.render();
  }

  /** Watches the folder the user is looking at (besides INBOX). */
  viewFolder(accountId: string, path: string): void {
    this.live.get(accountId)?.live.view(path);
  }

  private render(): void {
    const total = [...this.unseen.values()].reduce((a, b) => a + b, 0);
    const detail = uiJoin([...this.unseen.entries()].map(([id, n]) => uiFormat('{0}: {1}', uiPlain(this.accounts.get(id)?.email ?? id), n)), '\n');
    setBadge(this.view, total, t('{0} unread in INBOX', total));
    if (total > 0) {
      this.status.update({ icon: 'mail', text: uiFormat('{0}', total), tooltip: uiFormat('{0}\n{1}', t('{0} unread in INBOX', total), detail), accessibilityLabel: t('{0} unread messages', total) });
      this.status.show();
    } else {
      this.status.hide();
    }
  }

  override dispose(): void {
    [...this.live.keys()].forEach((id) => this.stop(id));
    super.dispose();
  }
}
