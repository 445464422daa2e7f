// An account's OAuth 2.0 access tokens: the refresh token lives in a TokenStore (SecretStorage in
// VS Code), the access token in memory only. It is renewed before it expires, by one refresh that
// every connection of the account shares; a refused token is renewed once (the session retries its
// login once, never more); a refresh the server refuses ends in SIGN_IN_REQUIRED, and nothing is
// asked of the server again until the user signed in again.
import { MailError } from '../errors';
import { type Logger, registerSecret } from '../log';
import { type Credential, type CredentialSource, type TokenInfo } from './credentials';
import { type OAuthClient, type TokenResult } from './oauth';

/** Where the refresh token is kept (VS Code: SecretStorage, bound to the account's endpoints). */
export interface TokenStore {
  getRefreshToken(): Promise<string | undefined>;
  setRefreshToken(token: string): Promise<void>;
  deleteRefreshToken(): Promise<void>;
}

/** An in-memory TokenStore (tests, the CLI). */
export function memoryTokenStore(initial?: string): TokenStore & { value: string | undefined } {
  const store = {
    value: initial,
    getRefreshToken: async () => store.value,
    setRefreshToken: async (token: string) => {
      store.value = token;
    },
    deleteRefreshToken: async () => {
      store.value = undefined;
    },
  };
  return store;
}

export interface TokenSourceOptions {
  client: OAuthClient;
  store: TokenStore;
  logger: Logger;
  /** For log lines: the account id. */
  label: string;
  now?: () => number;
}

/** How long before expiry a token is renewed: a minute, or a fifth of a short token's life. */
export function renewalMargin(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(0, Math.floor(lifetimeMs / 5)));
}

export class OAuthTokenSource implements CredentialSource {
  private access: { token: string; expiresAt?: number; issuedAt: number; scopes?: string[] } | undefined;
  private refreshing: Promise<string> | undefined;
  /** Set when the server refused the refresh token: no further request until a new sign-in. */
  private ended: MailError | undefined;
  private readonly now: () => number;

  constructor(private readonly options: TokenSourceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes the result of an interactive sign-in: stores the refresh token, keeps the access token. */
  async accept(tokens: TokenResult): Promise<void> {
    if (tokens.refreshToken) {
      await this.options.store.setRefreshToken(tokens.refreshToken);
    }
    this.keep(tokens);
    this.ended = undefined;
  }

  private keep(tokens: TokenResult): void {
    registerSecret(tokens.accessToken);
    this.access = { token: tokens.accessToken, issuedAt: this.now(), ...(tokens.expiresAt !== undefined ? { expiresAt: tokens.expiresAt } : {}), ...(tokens.scopes ? { scopes: tokens.scopes } : {}) };
  }

  private fresh(): string | undefined {
    const access = this.access;
    if (!access) {
      return undefined;
    }
    if (access.expiresAt === undefined) {
      return access.token;
    }
    const margin = renewalMargin(access.expiresAt - access.issuedAt);
    return access.expiresAt - this.now() > margin ? access.token : undefined;
  }

  async get(): Promise<Credential> {
    const token = this.fresh() ?? (await this.refresh());
    return { kind: 'token', accessToken: token };
  }

  /** The server refused `rejected`: refresh once, unless another connection already did. */
  async renew(rejected: Credential): Promise<Credential | undefined> {
    if (rejected.kind !== 'token') {
      return undefined;
    }
    if (this.access && this.access.token !== rejected.accessToken) {
      return { kind: 'token', accessToken: this.access.token };
    }
    this.access = undefined;
    return { kind: 'token', accessToken: await this.refresh() };
  }

  tokenInfo(): TokenInfo | undefined {
    return this.access ? { ...(this.access.scopes ? { scopes: this.access.scopes } : {}), ...(this.access.expiresAt !== undefined ? { expiresAt: this.access.expiresAt } : {}) } : undefined;
  }

  /** Forgets the access token (tests; a sign-out). */
  forget(): void {
    this.access = undefined;
  }

  /** One refresh at a time, shared by every caller. */
  private refresh(): Promise<string> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<string> {
    if (this.ended) {
      throw this.ended;
    }
    const { store, client, logger, label } = this.options;
    const refreshToken = await store.getRefreshToken();
    if (!refreshToken) {
      throw new MailError('SIGN_IN_REQUIRED', 'Not signed in: sign in to this account.');
    }
    registerSecret(refreshToken);
    logger.info(`[${label}] renewing the access token`);
    let tokens: TokenResult;
    try {
      tokens = await client.refresh(refreshToken);
    } catch (err) {
      if (err instanceof MailError && err.code === 'SIGN_IN_REQUIRED') {
        // the grant is gone: keep no dead token around, and ask the server nothing more
        this.ended = err;
        this.access = undefined;
        await store.deleteRefreshToken();
        logger.warn(`[${label}] the sign-in ended: ${err.message}`);
      }
      throw err;
    }
    if (tokens.refreshToken && tokens.refreshToken !== refreshToken) {
      // rotation (RFC 9700 4.14.2): the old refresh token is now invalid
      await store.setRefreshToken(tokens.refreshToken);
    }
    this.keep(tokens);
    return tokens.accessToken;
  }
}
