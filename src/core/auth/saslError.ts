// A refused OAuth 2.0 login in plain words. RFC 7628 3.2.2: a server that refuses OAUTHBEARER
// sends a JSON object ({"status":"invalid_token","scope":"...","openid-configuration":"..."})
// before the tagged NO; Google's XOAUTH2 sends {"status":"401"|"400","schemes":...,"scope":...};
// Microsoft sends no JSON, only its NO text. Together with what we know of the token (expiry and
// scopes from the token endpoint or the token's own claims) that says which of: expired, wrong
// scope, wrong user, consent missing, IMAP disabled, or simply not accepted.
import { type SaslFailure } from '../errors';
import { type TokenClaims } from './claims';
import { type TokenInfo } from './credentials';

export interface SaslRefusal {
  /** The decoded JSON of the server's error challenge (imapflow: err.oauthError), if any. */
  json?: unknown;
  /** The text of the server's NO. */
  serverText?: string;
  /** What the token endpoint said about the token. */
  token?: TokenInfo;
  /** The token's own claims, when it is a JWT. */
  claims?: TokenClaims;
  /** The user name the login named. */
  user?: string;
  now?: number;
}

export const SASL_ADVICE = {
  expired: 'The access token has expired. The extension renews it by itself; if this keeps happening, sign in again.',
  scope: (scope: string | undefined) =>
    `The token lacks the scope the server needs${scope ? ` (${scope})` : ''}. Add it to the account's scopes (Edit Account) and sign in again. For Microsoft 365 the IMAP scope is https://outlook.office.com/IMAP.AccessAsUser.All, for Google https://mail.google.com/.`,
  user: 'The token was issued for another user than the IMAP user name. Use the address you signed in with as the user name, or sign in with the right account.',
  consent: 'The provider has no consent for this app to read your mail. Sign in again and allow access; if your organisation must approve apps, ask its administrator to grant consent.',
  disabled: 'The server accepted the token but not IMAP for this mailbox: this tenant or mailbox has IMAP disabled. An administrator must enable IMAP for the mailbox (Exchange admin center, or Set-CASMailbox -ImapEnabled $true) and allow the app the IMAP.AccessAsUser.All permission.',
  invalid: 'The server did not accept the token. Sign in again; if it keeps failing, the server may not trust this provider or this client id.',
} as const;

/** Scopes that grant IMAP: Microsoft's, Google's, and the usual names of self-hosted providers. */
const MAIL_SCOPE = /IMAP\.AccessAsUser\.All$|^https:\/\/mail\.google\.com\/?$|(?:^|[/:.])imap(?:[/:.]|$)/i;

/** Whether a scope list grants IMAP, as far as its names tell. */
export function grantsImap(scopes: string[]): boolean {
  return scopes.some((s) => MAIL_SCOPE.test(s));
}

function field(json: unknown, name: string): string | undefined {
  const value = json && typeof json === 'object' ? (json as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function sameUser(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Decodes a refused OAuth login into a reason and advice. */
export function decodeSaslFailure(refusal: SaslRefusal): SaslFailure {
  const status = field(refusal.json, 'status');
  const scope = field(refusal.json, 'scope');
  const text = refusal.serverText ?? '';
  const now = refusal.now ?? Date.now();
  const expiresAt = refusal.claims?.expiresAt ?? refusal.token?.expiresAt;
  const granted = refusal.claims?.scopes ?? refusal.token?.scopes;
  const base = { ...(status ? { status } : {}), ...(scope ? { scope } : {}) };
  const make = (reason: SaslFailure['reason']): SaslFailure => ({ reason, ...base, advice: reason === 'scope' ? SASL_ADVICE.scope(scope) : SASL_ADVICE[reason] });

  // Microsoft: the token was fine, the mailbox or tenant does not allow IMAP
  if (/User is authenticated but not connected/i.test(text)) {
    return make('disabled');
  }
  if (/consent/i.test(text) || /consent/i.test(status ?? '')) {
    return make('consent');
  }
  if (status === 'insufficient_scope') {
    return make('scope');
  }
  if (expiresAt !== undefined && expiresAt <= now) {
    return make('expired');
  }
  const subject = refusal.claims?.subjectForComparison;
  if (subject && refusal.user && subject.includes('@') && !sameUser(subject, refusal.user)) {
    return make('user');
  }
  // the server names the scope it needs, and the token endpoint told us what we were granted
  if (scope && granted && !scope.split(' ').filter(Boolean).every((s) => granted.includes(s))) {
    return make('scope');
  }
  // the server named no scope (Dovecot says only invalid_token), but we know what was granted
  if (granted && !grantsImap(granted)) {
    return make('scope');
  }
  // Google's XOAUTH2: 400 is a malformed request, in practice a user name that is not the token's
  if (status === '400') {
    return make('user');
  }
  return make('invalid');
}
