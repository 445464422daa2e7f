// Secrets in SecretStorage, one key per account and kind: the password, the SMTP password, the
// OAuth refresh token, an OAuth client secret. Each is stored with the endpoints it was given for
// (core/auth/binding.ts) and handed out only while the account still points there. Failures are
// logged, values never are.
import * as vscode from 'vscode';
import { type AccountConfig } from '../core/account';
import { describeEndpoint, imapEndpoint, mainSecretEndpoints, openSecret, sealSecret, smtpEndpoint } from '../core/auth/binding';
import { MailError } from '../core/errors';

const KEY_PREFIX = 'imapExplorer.password.';
const SMTP_PREFIX = 'imapExplorer.smtpPassword.';
const REFRESH_PREFIX = 'imapExplorer.refreshToken.';
const CLIENT_SECRET_PREFIX = 'imapExplorer.clientSecret.';

export type SecretKind = 'password' | 'smtpPassword' | 'refreshToken' | 'clientSecret';

const PREFIX: Record<SecretKind, string> = { password: KEY_PREFIX, smtpPassword: SMTP_PREFIX, refreshToken: REFRESH_PREFIX, clientSecret: CLIENT_SECRET_PREFIX };

const WHAT: Record<SecretKind, string> = { password: 'password', smtpPassword: 'SMTP password', refreshToken: 'sign-in', clientSecret: 'client secret' };

export interface SecretLookup {
  secret?: string;
  /** Why there is none for this account as configured now (plain words, no secret). */
  problem?: string;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

export class Keychain {
  /** Keys rewritten only to bind a legacy secret: their change event is not a new password. */
  private readonly rebinding = new Set<string>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The endpoints a secret of this kind is sent to, for the account as configured now. */
  private endpoints(account: AccountConfig, kind: SecretKind, purpose: 'imap' | 'smtp'): string[] {
    if (kind === 'smtpPassword') {
      return [smtpEndpoint(account) ?? ''];
    }
    if (kind === 'password' && purpose === 'imap') {
      return [imapEndpoint(account)];
    }
    if (kind === 'password') {
      return [smtpEndpoint(account) ?? ''];
    }
    // the OAuth grant and client secret go to the authorization server and the mail servers
    return mainSecretEndpoints(account);
  }

  /**
   * A secret for use with the account as configured now. A secret given for other endpoints is
   * not returned; `problem` then says where it was given for, so the user can be asked again.
   */
  async lookup(account: AccountConfig, kind: SecretKind, purpose: 'imap' | 'smtp' = 'imap'): Promise<SecretLookup> {
    let stored: string | undefined;
    try {
      stored = await this.secrets.get(PREFIX[kind] + account.id);
    } catch (err) {
      this.log.error(`Cannot read the ${WHAT[kind]} of ${account.id} from secret storage: ${describeError(err)}`);
      return { problem: `The ${WHAT[kind]} could not be read from VS Code's secret storage.` };
    }
    if (stored === undefined) {
      return {};
    }
    const wanted = this.endpoints(account, kind, purpose);
    const opened = openSecret(stored, wanted);
    if (opened.ok === true) {
      return { secret: opened.secret };
    }
    if (opened.ok === 'legacy') {
      // Stored by a version that did not bind secrets. Accounts are read from user settings only,
      // so the account as it is now is the one the user set up: bind the secret to it.
      this.rebinding.add(PREFIX[kind] + account.id);
      await this.store(account, kind, opened.secret);
      this.log.info(`[${account.id}] the stored ${WHAT[kind]} is now bound to ${this.endpoints(account, kind, purpose).map(describeEndpoint).join(', ')}`);
      return { secret: opened.secret };
    }
    const was = opened.boundTo.map(describeEndpoint).join(', ');
    const now = wanted.filter((e) => !opened.boundTo.includes(e)).map(describeEndpoint).join(', ');
    this.log.warn(`[${account.id}] the stored ${WHAT[kind]} was given for ${was}; the account now uses ${now}, so it is not sent there`);
    return { problem: `The stored ${WHAT[kind]} was given for ${was}, and the account now uses ${now}. ${kind === 'refreshToken' ? 'Sign in again' : 'Enter it again'} to use it there.` };
  }

  /** Stores a secret bound to the account's endpoints as configured now. */
  async store(account: AccountConfig, kind: SecretKind, secret: string): Promise<void> {
    const endpoints = kind === 'password' ? mainSecretEndpoints(account).filter((e) => !e.startsWith('oauth2:')) : kind === 'smtpPassword' ? [smtpEndpoint(account) ?? ''] : mainSecretEndpoints(account);
    await this.secrets.store(PREFIX[kind] + account.id, sealSecret(secret, endpoints));
  }

  async delete(accountId: string, kind: SecretKind): Promise<void> {
    try {
      await this.secrets.delete(PREFIX[kind] + accountId);
    } catch (err) {
      this.log.error(`Cannot delete the ${WHAT[kind]} of ${accountId}: ${describeError(err)}`);
    }
  }

  async deleteAll(accountId: string): Promise<void> {
    for (const kind of Object.keys(PREFIX) as SecretKind[]) {
      await this.delete(accountId, kind);
    }
  }

  /** Whether anything is stored under this kind (for "leave empty to keep"); never opens it. */
  async has(accountId: string, kind: SecretKind): Promise<boolean> {
    try {
      return (await this.secrets.get(PREFIX[kind] + accountId)) !== undefined;
    } catch {
      return false;
    }
  }

  /** The IMAP password; a MailError NO_PASSWORD that says why when there is none for this server. */
  async requirePassword(account: AccountConfig): Promise<string> {
    const found = await this.lookup(account, 'password');
    if (!found.secret) {
      throw new MailError('NO_PASSWORD', found.problem ?? vscode.l10n.t('No password is stored for {0}.', account.email));
    }
    return found.secret;
  }

  /** The password for the SMTP login: its own, or the IMAP one when that was given for this SMTP server too. */
  async smtpPassword(account: AccountConfig): Promise<SecretLookup> {
    return account.smtp?.separatePassword ? this.lookup(account, 'smtpPassword') : this.lookup(account, 'password', 'smtp');
  }

  /** Fires with an account id when its password or sign-in changed (not on reads). */
  onDidChange(listener: (accountId: string) => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (this.rebinding.delete(e.key)) {
        return;
      }
      for (const prefix of [KEY_PREFIX, REFRESH_PREFIX]) {
        if (e.key.startsWith(prefix)) {
          listener(e.key.slice(prefix.length));
        }
      }
    });
  }
}
