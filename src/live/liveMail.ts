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
import { plainLabel, senderName } from '../core/text';
import { type TreeNode } from '../tree/nodes';
import { type MailTreeProvider } from '../tree/provider';
import { Disposable } from '../util/dispose';

export class LiveMail extends Disposable {
  private readonly live = new Map<string, { live: AccountLive; config: string }>();
  private readonly unseen = new Map<string, number>();
  private readonly status: vscode.StatusBarItem;
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
    this.status = this._register(vscode.window.createStatusBarItem('imapExplorer.unread', vscode.StatusBarAlignment.Left, 50));
    this.status.name = vscode.l10n.t('Unread Mail');
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
            ? vscode.l10n.t('New mail from {0}: {1}', senderName(first.from), plainLabel(first.subject, 150) || vscode.l10n.t('(no subject)'))
            : vscode.l10n.t('{0} new messages in {1}', messages.length, plainLabel(account.email));
          void vscode.window.showInformationMessage(text);
        }
      },
      alert: (text) => void vscode.window.showWarningMessage(vscode.l10n.t('Message from the mail server {0}: {1}', plainLabel(account.imap.host), plainLabel(text, 400))),
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
    const detail = [...this.unseen.entries()].map(([id, n]) => `${plainLabel(this.accounts.get(id)?.email ?? id)}: ${n}`).join('\n');
    this.view.badge = total > 0 ? { value: total, tooltip: vscode.l10n.t('{0} unread in INBOX', total) } : undefined;
    if (total > 0) {
      this.status.text = `$(mail) ${total}`;
      this.status.tooltip = `${vscode.l10n.t('{0} unread in INBOX', total)}\n${detail}`;
      this.status.accessibilityInformation = { label: vscode.l10n.t('{0} unread messages', total) };
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
