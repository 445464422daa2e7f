// The claims of a JWT access token that are not secret (audience, scopes, expiry, issuer, tenant),
// for the doctor's report and for explaining a refused token. The signature is not checked: the
// mail server decides whether the token is valid; these claims only help say why it was not.
// Opaque tokens (Google's, many others) have no claims to read.

export interface TokenClaims {
  /** `aud`, one or more. */
  audience?: string[];
  /** `scp` (Microsoft) or `scope` (RFC 9068), split on spaces. */
  scopes?: string[];
  /** `exp`, ms since the epoch. */
  expiresAt?: number;
  issuer?: string;
  /** Microsoft's tenant id (`tid`). */
  tenant?: string;
  /** Whom the token is for (upn, preferred_username, email, unique_name, sub), redacted for reports. */
  subject?: string;
  /** The same, unredacted, only to compare with the IMAP user name in memory; never reported. */
  subjectForComparison?: string;
}

function base64url(part: string): string | undefined {
  if (!/^[\w-]+$/.test(part)) {
    return undefined;
  }
  try {
    return Buffer.from(part, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

/** Hides most of an identifier: "alice@example.com" → "al…@example.com". */
export function redactIdentity(value: string): string {
  const at = value.indexOf('@');
  const local = at > 0 ? value.slice(0, at) : value;
  const kept = local.length <= 2 ? local.slice(0, 1) : local.slice(0, 2);
  return `${kept}…${at > 0 ? value.slice(at) : ''}`;
}

/** Decodes the claims of a JWT (three base64url parts); undefined for an opaque token. */
export function decodeTokenClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 16384) {
    return undefined;
  }
  const json = base64url(parts[1]);
  if (!json) {
    return undefined;
  }
  let payload: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return undefined;
    }
    payload = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const out: TokenClaims = {};
  const aud = payload.aud;
  if (typeof aud === 'string') {
    out.audience = [aud];
  } else if (Array.isArray(aud)) {
    out.audience = aud.filter((a): a is string => typeof a === 'string');
  }
  const scope = str(payload.scp) ?? str(payload.scope);
  if (scope) {
    out.scopes = scope.split(' ').filter(Boolean);
  } else if (Array.isArray(payload.scp)) {
    out.scopes = payload.scp.filter((s): s is string => typeof s === 'string');
  }
  if (typeof payload.exp === 'number') {
    out.expiresAt = payload.exp * 1000;
  }
  const issuer = str(payload.iss);
  if (issuer) {
    out.issuer = issuer;
  }
  const tenant = str(payload.tid);
  if (tenant) {
    out.tenant = tenant;
  }
  const subject = str(payload.upn) ?? str(payload.preferred_username) ?? str(payload.email) ?? str(payload.unique_name) ?? str(payload.sub);
  if (subject) {
    out.subject = redactIdentity(subject);
    out.subjectForComparison = subject;
  }
  return out;
}
