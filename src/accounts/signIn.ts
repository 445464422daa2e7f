// How each account signs in (password, OAuth 2.0, command), for IMAP and SMTP: one credential
// source per account shared by all its connections, the interactive OAuth flows (system browser
// with a loopback redirect, device code, VS Code's Microsoft account), and signing out (revoke
// where the provider can, then delete).
import * as vscode from 'vscode';
import { type AccountConfig, type OAuthSettings, usesToken } from '../core/account';
import { commandSource } from '../core/auth/command';
import { type Credential, type CredentialSource, passwordSource } from '../core/auth/credentials';
import { createOAuthClient, type DeviceCode, type OAuthClient, type TokenResult } from '../core/auth/oauth';
import { scopesFor } from '../core/auth/providers';
import { OAuthTokenSource, type TokenStore } from '../core/auth/tokens';
import { MailError, toMailError } from '../core/errors';
import { type Logger, registerSecret } from '../core/log';
import { plainLabel } from '../core/text';
import { type Keychain } from './keychain';

/** What an interactive sign-in shows: the device code, and progress. */
export interface SignInUi {
  /** Shows the device code and URL (with a copy button). */
  showDeviceCode(code: DeviceCode): void;
  signal?: AbortSignal;
}

/** The credential for one SMTP login. */
export interface SmtpCredential {
  pass?: string;
  accessToken?: string;
}

/** VS Code's built-in Microsoft account provider, with the user's own client id and tenant. */
function vscodeScopes(settings: OAuthSettings): string[] {
  return [`VSCODE_CLIENT_ID:${settings.clientId}`, `VSCODE_TENANT:${settings.tenant ?? 'organizations'}`, ...scopesFor(settings)];
}

export class AccountAuth {
  /** Per account id: the config it was made for and its credential source. */
  private readonly sources = new Map<string, { config: string; source: CredentialSource; tokens?: OAuthTokenSource }>();

  constructor(
    private readonly keychain: Keychain,
    private readonly logger: Logger,
  ) {}

  private tokenStore(account: AccountConfig): TokenStore {
    return {
      getRefreshToken: async () => {
        const found = await this.keychain.lookup(account, 'refreshToken');
        if (found.problem) {
          throw new MailError('SIGN_IN_REQUIRED', found.problem);
        }
        return found.secret;
      },
      setRefreshToken: (token) => this.keychain.store(account, 'refreshToken', token),
      deleteRefreshToken: () => this.keychain.delete(account.id, 'refreshToken'),
    };
  }

  /** The OAuth client of an account (with its client secret from SecretStorage, if it has one). */
  async client(account: AccountConfig, clientSecret?: string): Promise<OAuthClient> {
    const auth = account.auth;
    if (auth?.method !== 'oauth2') {
      throw new MailError('INVALID_INPUT', 'This account does not sign in with OAuth 2.0.');
    }
    const secret = clientSecret ?? (auth.clientSecret ? (await this.keychain.lookup(account, 'clientSecret')).secret : undefined);
    registerSecret(secret);
    return createOAuthClient({ settings: auth, ...(secret ? { clientSecret: secret } : {}) });
  }

  /** The credential source of the account as configured now, shared by all its connections. */
  credentials(account: AccountConfig): CredentialSource {
    const config = JSON.stringify(account);
    const known = this.sources.get(account.id);
    if (known && known.config === config) {
      return known.source;
    }
    const entry = this.create(account);
    this.sources.set(account.id, { config, ...entry });
    return entry.source;
  }

  private create(account: AccountConfig): { source: CredentialSource; tokens?: OAuthTokenSource } {
    const auth = account.auth;
    if (auth?.method === 'command') {
      return { source: commandSource(auth) };
    }
    if (auth?.method === 'oauth2' && auth.flow === 'vscode') {
      return {
        source: {
          get: async (): Promise<Credential> => {
            const session = await vscode.authentication.getSession('microsoft', vscodeScopes(auth), { silent: true });
            if (!session) {
              throw new MailError('SIGN_IN_REQUIRED', 'Not signed in with your Microsoft account in VS Code: sign in again.');
            }
            registerSecret(session.accessToken);
            return { kind: 'token', accessToken: session.accessToken };
          },
        },
      };
    }
    if (auth?.method === 'oauth2') {
      let client: Promise<OAuthClient> | undefined;
      const lazy: OAuthClient = {
        settings: auth,
        scopes: scopesFor(auth),
        metadata: async () => (await (client ??= this.client(account))).metadata(),
        signInWithBrowser: async (o) => (await (client ??= this.client(account))).signInWithBrowser(o),
        signInWithDeviceCode: async (o) => (await (client ??= this.client(account))).signInWithDeviceCode(o),
        refresh: async (t) => (await (client ??= this.client(account))).refresh(t),
        revoke: async (t, h) => (await (client ??= this.client(account))).revoke(t, h),
      };
      const tokens = new OAuthTokenSource({ client: lazy, store: this.tokenStore(account), logger: this.logger, label: account.id });
      return { source: tokens, tokens };
    }
    return { source: passwordSource(() => this.keychain.requirePassword(account)) };
  }

  /**
   * Runs the account's interactive OAuth sign-in. Nothing is stored: the caller adopts the tokens
   * once the account is saved (the form) or at once (Sign In Again).
   */
  async signIn(account: AccountConfig, ui: SignInUi, clientSecret?: string): Promise<TokenResult> {
    const auth = account.auth;
    if (auth?.method !== 'oauth2') {
      throw new MailError('INVALID_INPUT', 'This account does not sign in with OAuth 2.0.');
    }
    if (auth.flow === 'vscode') {
      const session = await vscode.authentication.getSession('microsoft', vscodeScopes(auth), { createIfNone: true });
      registerSecret(session.accessToken);
      return { accessToken: session.accessToken };
    }
    const client = await this.client(account, clientSecret);
    this.logger.info(`[${account.id}] signing in (${auth.flow ?? 'browser'}) at ${auth.provider === 'generic' ? (auth.issuer ?? '') : auth.provider}`);
    if (auth.flow === 'device') {
      return client.signInWithDeviceCode({ show: (code) => ui.showDeviceCode(code), ...(ui.signal ? { signal: ui.signal } : {}) });
    }
    return client.signInWithBrowser({
      openBrowser: (url) => Promise.resolve(vscode.env.openExternal(vscode.Uri.parse(url, true))),
      loginHint: account.imap.user.includes('@') ? account.imap.user : account.email,
      ...(ui.signal ? { signal: ui.signal } : {}),
    });
  }

  /** Keeps a sign-in's tokens for the account: the refresh token in SecretStorage, the access token in memory. */
  async adopt(account: AccountConfig, tokens: TokenResult): Promise<void> {
    if (account.auth?.method !== 'oauth2' || account.auth.flow === 'vscode') {
      return;
    }
    this.sources.delete(account.id);
    this.credentials(account);
    await this.sources.get(account.id)!.tokens!.accept(tokens);
  }

  /** The SMTP login's credential: a token where the account uses tokens, else the SMTP or IMAP password. */
  async smtpCredential(account: AccountConfig): Promise<SmtpCredential> {
    if (usesToken(account)) {
      const credential = await this.credentials(account).get();
      return credential.kind === 'token' ? { accessToken: credential.accessToken } : { pass: credential.password };
    }
    if (account.auth?.method === 'command' && !account.smtp?.separatePassword) {
      const credential = await this.credentials(account).get();
      return credential.kind === 'password' ? { pass: credential.password } : { accessToken: credential.accessToken };
    }
    const found = await this.keychain.smtpPassword(account);
    if (!found.secret) {
      throw new MailError('NO_PASSWORD', found.problem ?? vscode.l10n.t('No password is stored for sending from {0}.', plainLabel(account.email)));
    }
    return { pass: found.secret };
  }

  /** Forgets the in-memory credentials of an account (its settings changed, it was removed). */
  forget(accountId: string): void {
    this.sources.delete(accountId);
  }

  /** Removing an account: revokes its refresh token where the provider supports it, then deletes every secret. */
  async signOut(account: AccountConfig): Promise<void> {
    if (account.auth?.method === 'oauth2' && account.auth.flow !== 'vscode') {
      const found = await this.keychain.lookup(account, 'refreshToken');
      if (found.secret) {
        try {
          const revoked = await (await this.client(account)).revoke(found.secret, 'refresh_token');
          this.logger.info(`[${account.id}] ${revoked ? 'the refresh token was revoked at the provider' : 'the provider offers no revocation; the refresh token is deleted here'}`);
        } catch (err) {
          this.logger.warn(`[${account.id}] revoking the refresh token failed (${toMailError(err).message}); it is deleted here`);
        }
      }
    }
    this.forget(account.id);
    await this.keychain.deleteAll(account.id);
  }
}
