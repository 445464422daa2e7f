// A real OAuth 2.0 / OpenID Connect authorization server on loopback for the sign-in tests:
// `oidc-provider` (npm, a certified OpenID provider) with its development login and consent pages,
// PKCE, the device flow, refresh-token rotation, revocation and introspection (for Dovecot's
// `passdb { driver = oauth2 }`). Access tokens are for the resource server `urn:imap-explorer:mail`
// with the scopes `imap` and `smtp`. The test counts every grant the token endpoint answered.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

export const MAIL_RESOURCE = 'urn:imap-explorer:mail';
/** The public (PKCE) client the extension signs in with, as an organisation would register it. */
export const NATIVE_CLIENT_ID = 'imap-explorer-test';
/** The confidential client Dovecot introspects tokens with. */
export const DOVECOT_CLIENT = { id: 'dovecot', secret: 'dovecot introspection secret' };

export interface GrantCount {
  /** grant_type → successful answers. */
  success: Record<string, number>;
  /** grant_type → error answers (invalid_grant...). */
  error: Record<string, number>;
  introspections: number;
  revocations: number;
}

export interface OidcServer {
  issuer: string;
  port: number;
  /** For Dovecot's introspection_url (client credentials in the URL, as its docs show). */
  introspectionUrl: string;
  counts: GrantCount;
  /** Access token lifetime in seconds for tokens issued from now on. */
  setAccessTokenTtl(seconds: number): void;
  /** Revokes a token at the revocation endpoint, as the provider's admin or the user would. */
  revoke(token: string): Promise<void>;
  close(): Promise<void>;
}

export interface OidcOptions {
  /** Access token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Accounts allowed to log in (default any login name). */
  accounts?: string[];
  /** Listen on this port (a restarted provider that forgot every grant, at the same issuer). */
  port?: number;
  /**
   * Listen on this loopback address (default 127.0.0.1). The VS Code journey uses 127.0.0.2: VS Code
   * in a remote or web window tunnels URLs of localhost and 127.0.0.1 it opens through its own proxy.
   */
  host?: string;
}

export async function startOidcProvider(options: OidcOptions = {}): Promise<OidcServer> {
  // oidc-provider is an ES module only
  const moduleName = 'oidc-provider';
  const { default: Provider } = (await import(moduleName)) as unknown as { default: new (issuer: string, config: Record<string, unknown>) => OidcProviderInstance };
  let ttl = options.accessTokenTtl ?? 3600;
  const counts: GrantCount = { success: {}, error: {}, introspections: 0, revocations: 0 };
  const server: Server = createServer();
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${host}:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: NATIVE_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        // RFC 8252 7.3: a native client's loopback redirect may use any port
        redirect_uris: ['http://127.0.0.1/'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
      { client_id: DOVECOT_CLIENT.id, client_secret: DOVECOT_CLIENT.secret, grant_types: [], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' },
    ],
    async findAccount(_ctx: unknown, id: string) {
      if (options.accounts && !options.accounts.includes(id)) {
        return undefined;
      }
      return { accountId: id, claims: async () => ({ sub: id, email: `${id}@example.test` }) };
    },
    claims: { openid: ['sub'], email: ['email'] },
    scopes: ['openid', 'offline_access', 'email', 'imap', 'smtp'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => MAIL_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== MAIL_RESOURCE) {
            throw new Error('unknown resource');
          }
          return { scope: 'imap smtp', accessTokenTTL: ttl, accessTokenFormat: 'opaque' };
        },
      },
    },
    ttl: { AccessToken: () => ttl, RefreshToken: 24 * 3600, DeviceCode: 600, Grant: 24 * 3600, Interaction: 3600, Session: 3600, AuthorizationCode: 60 },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    // rotate on every refresh, as RFC 9700 asks for public clients
    rotateRefreshToken: () => true,
    cookies: { keys: ['imap-explorer test cookie key'] },
  });
  provider.on('grant.success', (ctx) => {
    const type = String(ctx.oidc.params?.grant_type ?? '');
    counts.success[type] = (counts.success[type] ?? 0) + 1;
  });
  provider.on('grant.error', (ctx) => {
    const type = String(ctx.oidc.params?.grant_type ?? '');
    counts.error[type] = (counts.error[type] ?? 0) + 1;
  });
  provider.on('introspection.error', () => undefined);
  provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc-provider: ${String(err)}\n`));
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/token/introspection')) {
      counts.introspections++;
    }
    if (req.url?.startsWith('/token/revocation')) {
      counts.revocations++;
    }
    provider.callback()(req, res);
  });
  return {
    issuer,
    port,
    introspectionUrl: `http://${DOVECOT_CLIENT.id}:${encodeURIComponent(DOVECOT_CLIENT.secret)}@${host}:${port}/token/introspection`,
    counts,
    setAccessTokenTtl: (seconds) => {
      ttl = seconds;
    },
    revoke: async (token) => {
      const response = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: NATIVE_CLIENT_ID }).toString(),
      });
      if (!response.ok) {
        throw new Error(`revocation failed: HTTP ${response.status} ${await response.text()}`);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface ProviderContext {
  oidc: { params?: Record<string, unknown> };
}

interface OidcProviderInstance {
  on(event: string, listener: (ctx: ProviderContext, err?: unknown) => void): void;
  callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
}
