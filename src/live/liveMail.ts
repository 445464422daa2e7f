// Live updates in VS Code: one AccountLive per account (watchers IDLE on INBOX and on the folder
// being viewed), applied to the account's store like every other change (the badge, the status
// bar and the rows follow from there); an optional notification names sender and subject, as
// plain text.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type Keychain } from '../accounts/keychain';
import { type SessionPool } from '../accounts/sessions';
import { AccountLive, storeLiveHost } from '../core/mail/live';
import { type Logger } from '../core/log';
import { senderName } from '../core/text';
import { type MailModel } from '../tree/model';
import { Disposable } from '../util/dispose';
import { showInfo, showWarning, t, uiPlain } from '../util/ui';

export class LiveMail extends Disposable {
  private readonly live = new Map<string, { live: AccountLive; config: string }>();

  constructor(
    private readonly accounts: AccountStore,
    keychain: Keychain,
    private readonly sessions: SessionPool,
    private readonly model: MailModel,
    private readonly logger: Logger,
  ) {
    super();
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
  }

  private start(accountId: string): void {
    const account = this.accounts.get(accountId);
    if (!account) {
      return;
    }
    const live = new AccountLive(() => this.sessions.createWatcher(accountId), storeLiveHost(() => this.model.store(accountId), {
      reported: (path) => {
        if (path.toUpperCase() !== 'INBOX') {
          // the INBOX watcher counts INBOX itself; other folders' counts come from a LIST-STATUS
          this.model.refreshCounts(accountId);
        }
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
    }), this.logger, account.id);
    this.live.set(accountId, { live, config: JSON.stringify(account) });
    live.start();
  }

  private stop(accountId: string): void {
    const entry = this.live.get(accountId);
    if (entry) {
      this.live.delete(accountId);
      void entry.live.stop();
    }
  }

  private restart(accountId: string): void {
    this.stop(accountId);
    if (this.enabled() && this.accounts.get(accountId)) {
      this.start(accountId);
    }
  }

  /** Watches the folder the user is looking at (besides INBOX). */
  viewFolder(accountId: string, path: string): void {
    this.live.get(accountId)?.live.view(path);
  }

  override dispose(): void {
    [...this.live.keys()].forEach((id) => this.stop(id));
    super.dispose();
  }
}
