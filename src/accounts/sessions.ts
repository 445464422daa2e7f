// One MailSession per configured account, rebuilt when the account's settings or password change.
import * as vscode from 'vscode';
import { type AccountConfig } from '../core/account';
import { BulkConnection } from '../core/mail/bulk';
import { ConnectionPool } from '../core/mail/pool';
import { type Logger } from '../core/log';
import { MailSession, type SessionDeps } from '../core/mail/session';
import { type PinStore } from '../core/tls';
import { Disposable } from '../util/dispose';
import { type AccountStore } from './accountStore';
import { type Keychain } from './keychain';
import { type AccountAuth } from './signIn';

export class SessionPool extends Disposable {
  private readonly sessions = new Map<string, { session: MailSession; config: string; bulk?: BulkConnection; search?: ConnectionPool }>();
  private readonly changed = this._register(new vscode.EventEmitter<string>());
  /** Fires with an account id when its session was replaced or changed state. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly accounts: AccountStore,
    keychain: Keychain,
    private readonly auth: AccountAuth,
    private readonly pins: PinStore,
    private readonly logger: Logger,
    private readonly extraCa: string[] | undefined,
  ) {
    super();
    this._register(accounts.onDidChange(() => this.sync()));
    this._register(keychain.onDidChange((id) => this.drop(id)));
  }

  get(accountId: string): MailSession {
    const account = this.accounts.get(accountId);
    if (!account) {
      throw new Error(vscode.l10n.t('The account no longer exists.'));
    }
    const config = JSON.stringify(account);
    const existing = this.sessions.get(accountId);
    if (existing && existing.config === config) {
      return existing.session;
    }
    if (existing) {
      void existing.session.close();
    }
    const session = this.create(account);
    this.sessions.set(accountId, { session, config });
    return session;
  }

  /**
   * The account's second connection, for long transfers (attachments, message source), so that
   * the user's clicks on the main connection never wait behind them.
   */
  bulk(accountId: string): BulkConnection {
    this.get(accountId);
    const entry = this.sessions.get(accountId)!;
    entry.bulk ??= new BulkConnection(() => this.create(entry.session.account, undefined, true));
    return entry.bulk;
  }

  /**
   * The account's capped pool of extra connections for work that fans out over folders (a search
   * of every folder, replies in Sent), so that it never holds up the main connection.
   */
  searchPool(accountId: string): ConnectionPool {
    this.get(accountId);
    const entry = this.sessions.get(accountId)!;
    entry.search ??= new ConnectionPool(() => this.create(entry.session.account, undefined, true));
    return entry.search;
  }

  /** The account's main session, or (`extra`) one more that logs in only after the main one did. */
  private create(account: AccountConfig, clientOptions?: SessionDeps['clientOptions'], extra = false): MailSession {
    const session = new MailSession({
      account,
      credentials: this.auth.credentials(account),
      pins: this.pins,
      logger: this.logger,
      extraCa: this.extraCa,
      ...(clientOptions ? { clientOptions } : {}),
      ...(extra ? { after: () => this.get(account.id).connection() } : {}),
    });
    session.onStateChange(() => this.changed.fire(account.id));
    return session;
  }

  /**
   * A connection of its own that IDLEs on one folder (live updates), so the account's main
   * connection stays free for the user's commands. The caller owns and closes it.
   */
  createWatcher(accountId: string): MailSession {
    const account = this.accounts.get(accountId);
    if (!account) {
      throw new Error(vscode.l10n.t('The account no longer exists.'));
    }
    const seconds = vscode.workspace.getConfiguration('imapExplorer').get<number>('liveUpdates.pollIntervalSeconds', 60);
    // RFC 2177: IDLE must be renewed within 29 minutes; we renew (or poll, without IDLE) far sooner
    const maxIdleTime = Math.min(25 * 60, Math.max(10, seconds)) * 1000;
    return this.create(account, {
      disableAutoIdle: false,
      autoIdleDelay: 200,
      maxIdleTime,
      missingIdleCommand: 'NOOP',
      // a link that died silently is noticed when a renewal gets no answer
      socketTimeout: maxIdleTime + 60_000,
    }, true);
  }

  /** Closes sessions of accounts whose settings changed or that were removed. */
  private sync(): void {
    for (const [id, entry] of this.sessions) {
      const account = this.accounts.get(id);
      if (!account || JSON.stringify(account) !== entry.config) {
        this.drop(id);
      }
    }
  }

  drop(accountId: string): void {
    const entry = this.sessions.get(accountId);
    if (entry) {
      this.sessions.delete(accountId);
      void entry.session.close();
      void entry.bulk?.close();
      void entry.search?.close();
      this.changed.fire(accountId);
    }
  }

  override dispose(): void {
    for (const id of [...this.sessions.keys()]) {
      this.drop(id);
    }
    super.dispose();
  }
}
