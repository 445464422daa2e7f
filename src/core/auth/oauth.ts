// OAuth 2.0 for mail, through openid-client (a certified, maintained client; no token code of our
// own): the authorization-code flow with PKCE and a loopback redirect (RFC 6749, RFC 7636,
// RFC 8252), the device authorization grant (RFC 8628), refresh (RFC 6749 6) and revocation
// (RFC 7009). Microsoft and Google use their published endpoints; any other issuer is discovered
// (OpenID Connect Discovery 1.0).
import * as client from 'openid-client';
import { isLoopbackHost, type OAuthSettings } from '../account';
import { MailError, toMailError } from '../errors';
import { registerSecret } from '../log';
import { openLoopbackRedirect } from './loopback';
import { PRESETS, scopesFor, staticEndpoints } from './providers';

/** What a sign-in or a refresh returned. The refresh token goes to SecretStorage, the access token stays in memory. */
export interface TokenResult {
  accessToken: string;
  refreshToken?: string;
  /** ms since the epoch; undefined when the server did not say. */
  expiresAt?: number;
  /** Scopes granted, when the server said (RFC 6749 5.1: omitted when equal to those asked for). */
  scopes?: string[];
}

export interface OAuthClientOptions {
  settings: OAuthSettings;
  clientSecret?: string;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** A configured client for one account's authorization server. */
export interface OAuthClient {
  readonly settings: OAuthSettings;
  readonly scopes: string[];
  /** The authorization server's metadata (endpoints), for the doctor and the tests. */
  metadata(): Promise<client.ServerMetadata>;
  signInWithBrowser(options: BrowserSignIn): Promise<TokenResult>;
  signInWithDeviceCode(options: DeviceSignIn): Promise<TokenResult>;
  refresh(refreshToken: string): Promise<TokenResult>;
  /** Revokes a token where the server supports RFC 7009; false when it does not. */
  revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<boolean>;
}

export interface BrowserSignIn {
  /** Opens the authorization URL in the system browser (`vscode.env.openExternal`); false when it could not. */
  openBrowser(url: string): Promise<boolean>;
  signal?: AbortSignal;
  /** How long the loopback port waits for the browser. Default 5 minutes. */
  timeoutMs?: number;
  /** A login hint (the email address), so the provider preselects the account. */
  loginHint?: string;
}

export interface DeviceCode {
  userCode: string;
  verificationUri: string;
  /** The URL with the code in it, when the provider gives one. */
  verificationUriComplete?: string;
  /** Seconds the code stays valid. */
  expiresIn: number;
}

export interface DeviceSignIn {
  /** Shows the code and URL to the user (with a copy button); called once the server issued them. */
  show(code: DeviceCode): void;
  signal?: AbortSignal;
}

function configurationError(err: unknown, what: string): MailError {
  if (err instanceof MailError) {
    return err;
  }
  const mapped = toMailError(unwrapFetchError(err));
  if (mapped.code !== 'UNKNOWN') {
    return mapped;
  }
  return new MailError('INVALID_INPUT', `${what}: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
}

/** fetch() wraps socket errors (ECONNREFUSED...) as "fetch failed" with the real one as cause. */
function unwrapFetchError(err: unknown): unknown {
  const cause = (err as { cause?: unknown })?.cause;
  if (err instanceof TypeError && cause && typeof cause === 'object') {
    return cause;
  }
  return err;
}

/**
 * Maps an error of the token endpoint or the authorization response to what the user must do.
 * RFC 6749 5.2: `invalid_grant` means the refresh token is expired, revoked or was issued to
 * another client: only a new sign-in helps.
 */
export function oauthError(err: unknown, during: 'sign-in' | 'refresh'): MailError {
  if (err instanceof MailError) {
    return err;
  }
  if (err instanceof client.ResponseBodyError || err instanceof client.AuthorizationResponseError) {
    const code = err.error;
    const description = err.error_description ? `: ${err.error_description}` : '';
    const consent = /consent|interaction_required|AADSTS65001/i.test(`${code} ${err.error_description ?? ''}`);
    if (code === 'access_denied') {
      return new MailError('SIGN_IN_REQUIRED', `The sign-in was declined${description}.`, { sasl: { reason: 'consent', status: code, advice: 'Sign in again and allow access to your mail.' } }, { cause: err });
    }
    if (consent) {
      return new MailError('SIGN_IN_REQUIRED', `The provider needs your consent first${description}.`, { sasl: { reason: 'consent', status: code, advice: 'Sign in again and allow access; if your organisation must approve the app, ask its administrator to grant consent.' } }, { cause: err });
    }
    if (code === 'invalid_scope') {
      return new MailError('SIGN_IN_REQUIRED', `The provider refused the scopes asked for${description}.`, { sasl: { reason: 'scope', status: code, advice: 'Check the scopes of the account (Edit Account) against what your provider offers for mail.' } }, { cause: err });
    }
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      return new MailError('SIGN_IN_REQUIRED', `The provider does not accept this client id for this sign-in${description}.`, { sasl: { reason: 'invalid', status: code, advice: 'Check the client id (and client secret) in Edit Account, and that the app registration allows this flow and redirect (http://127.0.0.1).' } }, { cause: err });
    }
    if (during === 'refresh' || code === 'invalid_grant' || code === 'expired_token') {
      return new MailError('SIGN_IN_REQUIRED', `The sign-in expired or was revoked (${code}${description}). Sign in again.`, { sasl: { reason: 'expired', status: code, advice: 'Sign in again.' } }, { cause: err });
    }
    return new MailError('SIGN_IN_REQUIRED', `The sign-in failed (${code}${description}).`, {}, { cause: err });
  }
  const mapped = toMailError(unwrapFetchError(err));
  if (mapped.code === 'UNKNOWN') {
    return new MailError('UNKNOWN', `The ${during} failed: ${mapped.message}`, {}, { cause: err });
  }
  return mapped;
}

function result(response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, now: number): TokenResult {
  const expiresIn = response.expiresIn();
  registerSecret(response.access_token);
  registerSecret(response.refresh_token);
  return {
    accessToken: response.access_token,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(expiresIn !== undefined ? { expiresAt: now + expiresIn * 1000 } : {}),
    ...(typeof response.scope === 'string' ? { scopes: response.scope.split(' ').filter(Boolean) } : {}),
  };
}

/** Builds a client for the account's OAuth settings. Discovery (generic issuers) happens on first use. */
export function createOAuthClient(options: OAuthClientOptions): OAuthClient {
  const { settings, clientSecret } = options;
  const now = options.now ?? Date.now;
  const timeoutSeconds = Math.ceil((options.timeoutMs ?? 30000) / 1000);
  const scopes = scopesFor(settings);
  const auth = clientSecret ? client.ClientSecretPost(clientSecret) : client.None();
  const clientMetadata: Partial<client.ClientMetadata> = clientSecret ? { client_secret: clientSecret } : {};
  let configuration: Promise<client.Configuration> | undefined;

  const configure = async (): Promise<client.Configuration> => {
    const known = staticEndpoints(settings);
    if (known) {
      const config = new client.Configuration(known, settings.clientId, clientMetadata, auth);
      config.timeout = timeoutSeconds;
      return config;
    }
    const issuer = new URL(settings.issuer ?? '');
    // plain http only on this machine's loopback (a local test or development provider)
    const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
    try {
      const config = await client.discovery(issuer, settings.clientId, clientMetadata, auth, { timeout: timeoutSeconds, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) });
      config.timeout = timeoutSeconds;
      return config;
    } catch (err) {
      throw configurationError(err, `The OpenID configuration of ${issuer.origin} could not be read`);
    }
  };
  const config = () => {
    configuration ??= configure().catch((err: unknown) => {
      configuration = undefined;
      throw err;
    });
    return configuration;
  };
  const extraParams = () => PRESETS[settings.provider].authorizationParams;

  return {
    settings,
    scopes,
    metadata: async () => (await config()).serverMetadata(),

    async signInWithBrowser(request) {
      const cfg = await config();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const loopback = await openLoopbackRedirect(state);
      try {
        const url = client.buildAuthorizationUrl(cfg, {
          redirect_uri: loopback.redirectUri,
          scope: scopes.join(' '),
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          ...(request.loginHint ? { login_hint: request.loginHint } : {}),
          ...extraParams(),
        });
        if (!(await request.openBrowser(url.href))) {
          throw new MailError('SIGN_IN_REQUIRED', 'The browser could not be opened for the sign-in.');
        }
        const redirected = await loopback.wait({ timeoutMs: request.timeoutMs ?? 5 * 60 * 1000, ...(request.signal ? { signal: request.signal } : {}) });
        const tokens = await client.authorizationCodeGrant(cfg, redirected, { pkceCodeVerifier: verifier, expectedState: state });
        return result(tokens, now());
      } catch (err) {
        throw oauthError(err, 'sign-in');
      } finally {
        loopback.close();
      }
    },

    async signInWithDeviceCode(request) {
      const cfg = await config();
      try {
        if (!cfg.serverMetadata().device_authorization_endpoint) {
          throw new MailError('INVALID_INPUT', 'This provider does not offer the device-code sign-in; use the browser sign-in.');
        }
        const started = await client.initiateDeviceAuthorization(cfg, { scope: scopes.join(' ') });
        request.show({
          userCode: started.user_code,
          verificationUri: started.verification_uri,
          ...(started.verification_uri_complete ? { verificationUriComplete: started.verification_uri_complete } : {}),
          expiresIn: started.expires_in,
        });
        const tokens = await client.pollDeviceAuthorizationGrant(cfg, started, undefined, request.signal ? { signal: request.signal } : undefined);
        return result(tokens, now());
      } catch (err) {
        if (request.signal?.aborted) {
          throw new MailError('SIGN_IN_REQUIRED', 'The sign-in was cancelled.');
        }
        throw oauthError(err, 'sign-in');
      }
    },

    async refresh(refreshToken) {
      const cfg = await config();
      try {
        // Microsoft wants the scopes again on refresh; others accept them (RFC 6749 6: at most those granted)
        const tokens = await client.refreshTokenGrant(cfg, refreshToken, settings.provider === 'microsoft' ? { scope: scopes.join(' ') } : undefined);
        return result(tokens, now());
      } catch (err) {
        throw oauthError(err, 'refresh');
      }
    },

    async revoke(token, hint) {
      const cfg = await config();
      if (!cfg.serverMetadata().revocation_endpoint) {
        return false;
      }
      try {
        await client.tokenRevocation(cfg, token, { token_type_hint: hint });
        return true;
      } catch (err) {
        throw oauthError(err, 'refresh');
      }
    },
  };
}
