// A secret is bound to the places it may be sent. A stored password records the endpoints it was
// given for (protocol, user, host, port); when the account's settings later point elsewhere, the
// secret is not handed out and the user is asked again. A settings change (by hand, by sync, by
// anything that could write settings) can then never redirect a stored password to a new host.
import { type AccountConfig } from '../account';

/** What a secret is for: the IMAP login, the SMTP login, or an OAuth grant. */
export type SecretPurpose = 'imap' | 'smtp';

/** `imap://alice@imap.example.com:993`: one place a secret may be sent. */
export function endpointKey(protocol: 'imap' | 'smtp' | 'oauth2', user: string, host: string, port?: number): string {
  return `${protocol}://${encodeURIComponent(user)}@${host.toLowerCase()}${port ? `:${port}` : ''}`;
}

export function imapEndpoint(account: AccountConfig): string {
  return endpointKey('imap', account.imap.user, account.imap.host, account.imap.port);
}

/** The SMTP login's endpoint, or undefined when the account sends no mail. */
export function smtpEndpoint(account: AccountConfig): string | undefined {
  return account.smtp ? endpointKey('smtp', account.smtp.user || account.imap.user, account.smtp.host, account.smtp.port) : undefined;
}

/**
 * Where the account's main secret (the IMAP password, or the OAuth grant) is sent: the IMAP login,
 * the SMTP login when it shares the secret, and for OAuth the authorization server and client.
 */
export function mainSecretEndpoints(account: AccountConfig): string[] {
  const out = [imapEndpoint(account)];
  const smtp = smtpEndpoint(account);
  if (smtp && !account.smtp?.separatePassword) {
    out.push(smtp);
  }
  const auth = account.auth;
  if (auth?.method === 'oauth2') {
    out.push(endpointKey('oauth2', auth.clientId, auth.provider === 'generic' ? (auth.issuer ?? '') : `${auth.provider}/${auth.tenant ?? ''}`));
  }
  return out;
}

/** The stored form: the secret and the endpoints it was given for. */
interface BoundSecret {
  v: 1;
  secret: string;
  for: string[];
}

export function sealSecret(secret: string, endpoints: string[]): string {
  const sealed: BoundSecret = { v: 1, secret, for: [...new Set(endpoints)] };
  return JSON.stringify(sealed);
}

export type OpenedSecret =
  | { ok: true; secret: string }
  /** Stored before secrets were bound (an older version): the caller decides whether to bind it now. */
  | { ok: 'legacy'; secret: string }
  /** Given for other endpoints: `boundTo` says which (never the secret). */
  | { ok: false; boundTo: string[] };

/** Opens a stored secret for one use: it is returned only when `endpoints` are all among those it was given for. */
export function openSecret(stored: string, endpoints: string[]): OpenedSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return { ok: 'legacy', secret: stored };
  }
  const p = parsed as Partial<BoundSecret> | null;
  if (!p || typeof p !== 'object' || p.v !== 1 || typeof p.secret !== 'string' || !Array.isArray(p.for)) {
    return { ok: 'legacy', secret: stored };
  }
  const bound = p.for.filter((e): e is string => typeof e === 'string');
  return endpoints.every((e) => bound.includes(e)) ? { ok: true, secret: p.secret } : { ok: false, boundTo: bound };
}

/** "imap://alice@old.example.com:993" as words for a message: "alice at old.example.com:993 (IMAP)". */
export function describeEndpoint(endpoint: string): string {
  const m = /^(\w+):\/\/([^@]*)@(.*)$/.exec(endpoint);
  if (!m) {
    return endpoint;
  }
  const what = m[1] === 'oauth2' ? 'OAuth client' : m[1].toUpperCase();
  return `${decodeURIComponent(m[2])} at ${m[3]} (${what})`;
}
