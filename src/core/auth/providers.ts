// OAuth 2.0 presets (Microsoft 365 / Outlook.com, Google, any OpenID provider) and the guess of a
// sign-in method from an email address: the provider's own domains, the domain's MX records, and
// the autoconfig file's <authentication> elements (core/doctor/autoconfig.ts).
import { type OAuthProviderId, type OAuthSettings, type Security } from '../account';

/** Authorization server endpoints when they are known without discovery. */
export interface StaticEndpoints {
  [key: string]: string | undefined;
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  device_authorization_endpoint?: string;
  revocation_endpoint?: string;
}

export interface OAuthPreset {
  id: OAuthProviderId;
  title: string;
  /** Scopes asked for when the account names none. */
  scopes: string[];
  /** Extra parameters of the authorization request. */
  authorizationParams: Record<string, string>;
  /** Whether the device-code flow can grant these scopes (Google's cannot grant mail scopes). */
  deviceFlow: boolean;
  imap?: { host: string; port: number; security: Security };
  smtp?: { host: string; port: number; security: Security };
}

export const MICROSOFT_SCOPES = ['https://outlook.office.com/IMAP.AccessAsUser.All', 'https://outlook.office.com/SMTP.Send', 'offline_access'];
export const GOOGLE_SCOPES = ['https://mail.google.com/'];
export const GENERIC_SCOPES = ['openid', 'email', 'offline_access'];

export const PRESETS: Record<OAuthProviderId, OAuthPreset> = {
  microsoft: {
    id: 'microsoft',
    title: 'Microsoft 365 / Outlook.com',
    scopes: MICROSOFT_SCOPES,
    authorizationParams: {},
    deviceFlow: true,
    imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
  },
  google: {
    id: 'google',
    title: 'Google',
    scopes: GOOGLE_SCOPES,
    // Google issues a refresh token only for access_type=offline, and again only with consent
    authorizationParams: { access_type: 'offline', prompt: 'consent' },
    deviceFlow: false,
    imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
  },
  generic: {
    id: 'generic',
    title: 'OpenID provider',
    scopes: GENERIC_SCOPES,
    authorizationParams: {},
    deviceFlow: true,
  },
};

/** Microsoft's identity platform v2.0 endpoints for a tenant (organizations, common, an id or a domain). */
export function microsoftEndpoints(tenant = 'organizations'): StaticEndpoints {
  const base = `https://login.microsoftonline.com/${encodeURIComponent(tenant)}`;
  return {
    issuer: `${base}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    // Microsoft has no RFC 7009 revocation endpoint: removing the account deletes the refresh token only
  };
}

export const GOOGLE_ENDPOINTS: StaticEndpoints = {
  issuer: 'https://accounts.google.com',
  authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_endpoint: 'https://oauth2.googleapis.com/token',
  device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
  revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
};

/** The endpoints of a preset, or undefined for a generic issuer (discovered). */
export function staticEndpoints(settings: Pick<OAuthSettings, 'provider' | 'tenant'>): StaticEndpoints | undefined {
  switch (settings.provider) {
    case 'microsoft':
      return microsoftEndpoints(settings.tenant);
    case 'google':
      return GOOGLE_ENDPOINTS;
    default:
      return undefined;
  }
}

export function scopesFor(settings: Pick<OAuthSettings, 'provider' | 'scopes'>): string[] {
  return settings.scopes?.length ? settings.scopes : PRESETS[settings.provider].scopes;
}

const MICROSOFT_DOMAINS = /^(?:outlook|hotmail|live|msn|passport)\.[a-z.]+$|^office365\.com$|\.onmicrosoft\.com$/;
const GOOGLE_DOMAINS = /^(?:gmail|googlemail)\.com$/;
const MICROSOFT_MX = /\.(?:mail\.protection\.outlook\.com|olc\.protection\.outlook\.com|outlook\.com)\.?$/;
const GOOGLE_MX = /(?:^|\.)(?:google\.com|googlemail\.com|smtp\.google\.com)\.?$/;

export interface SignInGuess {
  method: 'password' | 'oauth2';
  provider?: OAuthProviderId;
  /** Where the guess came from, for the form's hint: "gmail.com is Google", "MX points to Microsoft". */
  because: string;
}

/**
 * The sign-in method an address most likely needs. `mx` are the domain's MX hosts (any order),
 * `autoconfigAuth` the <authentication> values the domain's autoconfig gives for IMAP.
 */
export function guessSignIn(email: string, mx: string[] = [], autoconfigAuth: string[] = []): SignInGuess {
  const domain = email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase();
  if (MICROSOFT_DOMAINS.test(domain)) {
    return { method: 'oauth2', provider: 'microsoft', because: `${domain} is a Microsoft domain` };
  }
  if (GOOGLE_DOMAINS.test(domain)) {
    return { method: 'oauth2', provider: 'google', because: `${domain} is a Google domain` };
  }
  const hosts = mx.map((h) => h.toLowerCase());
  if (hosts.some((h) => MICROSOFT_MX.test(h))) {
    return { method: 'oauth2', provider: 'microsoft', because: `the mail of ${domain} goes to Microsoft (MX)` };
  }
  if (hosts.some((h) => GOOGLE_MX.test(h))) {
    return { method: 'oauth2', provider: 'google', because: `the mail of ${domain} goes to Google (MX)` };
  }
  const auth = autoconfigAuth.map((a) => a.trim().toLowerCase());
  if (auth.includes('oauth2') && !auth.some((a) => a.startsWith('password'))) {
    return { method: 'oauth2', provider: 'generic', because: `the autoconfig of ${domain} asks for OAuth2` };
  }
  if (auth.includes('oauth2')) {
    return { method: 'password', because: `the autoconfig of ${domain} offers OAuth2 and passwords` };
  }
  return { method: 'password', because: '' };
}
