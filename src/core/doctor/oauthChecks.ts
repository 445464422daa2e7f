// The connection doctor's OAuth 2.0 steps: what the access token says about itself (audience,
// scopes, expiry; the subject redacted, the token never shown), which SASL mechanisms the server
// offers and which one the app would use, and the token login itself, with the server's refusal
// decoded into what to fix ("the token lacks the IMAP scope", "this tenant has IMAP disabled").
import { decodeTokenClaims, type TokenClaims } from '../auth/claims';
import { decodeSaslFailure, grantsImap } from '../auth/saslError';
import { type ImapConversation, type ImapReply } from './imapConversation';
import { type CheckContext } from './steps';
import { type ImapReport } from './types';


function when(ms: number, now: number): string {
  const minutes = Math.round((ms - now) / 60000);
  const at = new Date(ms).toISOString();
  return ms <= now ? `${at} (expired ${Math.max(1, -minutes)} minute(s) ago)` : `${at} (in ${minutes} minute(s))`;
}

/** Records `auth.token`: the token's claims, or that it is opaque; warns when it has expired or lacks a mail scope. */
export function tokenStep(ctx: CheckContext, token: string, user: string | undefined, granted?: string[], now = Date.now()): TokenClaims | undefined {
  const started = Date.now();
  const claims = decodeTokenClaims(token);
  if (!claims) {
    const lacksImap = granted && !grantsImap(granted);
    ctx.rec.record('auth.token', started, {
      status: lacksImap ? 'warn' : 'pass',
      summary: lacksImap
        ? `The token lacks the IMAP scope: the provider granted ${granted.join(' ') || 'no scope'}.`
        : 'The access token is opaque (not a JWT): only the server can say what it allows. The login below tests it.',
      details: [`Length: ${token.length} characters (the token itself is never shown)`, ...(granted ? [`Scopes granted at sign-in: ${granted.join(' ') || 'none'}`] : [])],
      ...(lacksImap ? { code: 'TOKEN_REJECTED' as const, fix: 'Ask for the mail scope when signing in: https://outlook.office.com/IMAP.AccessAsUser.All for Microsoft 365, https://mail.google.com/ for Google, or what your provider names for IMAP.' } : {}),
    });
    return granted ? { scopes: granted } : undefined;
  }
  const details = [
    ...(claims.audience ? [`Audience (aud): ${claims.audience.join(', ')}`] : []),
    ...(claims.scopes ? [`Scopes: ${claims.scopes.join(' ')}`] : ['Scopes: none in the token']),
    ...(claims.expiresAt !== undefined ? [`Expires (exp): ${when(claims.expiresAt, now)}`] : []),
    ...(claims.issuer ? [`Issuer (iss): ${claims.issuer}`] : []),
    ...(claims.tenant ? [`Tenant (tid): ${claims.tenant}`] : []),
    ...(claims.subject ? [`For: ${claims.subject}`] : []),
  ];
  if (claims.expiresAt !== undefined && claims.expiresAt <= now) {
    ctx.rec.record('auth.token', started, { status: 'fail', code: 'TOKEN_REJECTED', summary: 'The token expired: the server will refuse it.', details, fix: 'Get a fresh token (the extension renews it by itself; from the command line, run the token command again).' });
    return claims;
  }
  if (claims.scopes && !grantsImap(claims.scopes) && !(claims.audience ?? []).some((a) => /outlook\.office|mail\.google/i.test(a))) {
    ctx.rec.record('auth.token', started, { status: 'warn', code: 'TOKEN_REJECTED', summary: `The token lacks the IMAP scope (it has ${claims.scopes.join(' ') || 'none'}).`, details, fix: 'Ask for the mail scope when signing in: https://outlook.office.com/IMAP.AccessAsUser.All for Microsoft 365, https://mail.google.com/ for Google, or what your provider names for IMAP.' });
    return claims;
  }
  const other = claims.subjectForComparison && user && claims.subjectForComparison.includes('@') && claims.subjectForComparison.toLowerCase() !== user.toLowerCase();
  ctx.rec.record('auth.token', started, {
    status: other ? 'warn' : 'pass',
    summary: other ? `The token is for ${claims.subject}, not for the user name ${user}.` : `A JWT${claims.audience ? ` for ${claims.audience.join(', ')}` : ''}${claims.expiresAt !== undefined ? `, valid until ${new Date(claims.expiresAt).toISOString()}` : ''}.`,
    details,
    ...(other ? { code: 'TOKEN_REJECTED' as const, fix: 'Use the address you signed in with as the IMAP user name, or sign in with the right account.' } : {}),
  });
  return claims;
}

/**
 * Records `imap.sasl` for a token login: the mechanisms offered and which one carries the token.
 * (A password check lists the mechanisms in its capability step and has no step of its own.)
 */
export function saslStep(ctx: CheckContext, report: ImapReport, token: string | undefined): 'OAUTHBEARER' | 'XOAUTH2' | undefined {
  const started = Date.now();
  const mechanisms = report.authMechanisms;
  const oauth = mechanisms.includes('OAUTHBEARER') ? 'OAUTHBEARER' : mechanisms.includes('XOAUTH2') || mechanisms.includes('XOAUTH') ? 'XOAUTH2' : undefined;
  const details = [`Offered: ${mechanisms.join(', ') || 'none (LOGIN command only)'}`, 'OAUTHBEARER is RFC 7628; XOAUTH2 is the older Google/Microsoft form of the same bearer token.'];
  if (!token) {
    return undefined;
  }
  if (!oauth) {
    ctx.rec.record('imap.sasl', started, { status: 'fail', code: 'TOKEN_REJECTED', summary: 'The server offers no OAuth 2.0 mechanism (OAUTHBEARER or XOAUTH2): a token cannot be used here.', details, fix: 'Sign in with a password for this server, or ask the administrator to enable OAUTHBEARER (Dovecot: passdb driver oauth2).' });
    return undefined;
  }
  ctx.rec.record('imap.sasl', started, { status: 'pass', summary: `SASL mechanisms: ${mechanisms.join(', ')}; the token goes through ${oauth}.`, details });
  return oauth;
}

/** RFC 7628 3.1 / Google's XOAUTH2: the initial response carrying the bearer token. */
export function oauthInitialResponse(mechanism: 'OAUTHBEARER' | 'XOAUTH2', user: string, token: string, host: string, port: number): string {
  const payload = mechanism === 'OAUTHBEARER' ? `n,a=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},\u0001host=${host}\u0001port=${port}\u0001auth=Bearer ${token}\u0001\u0001` : `user=${user}\u0001auth=Bearer ${token}\u0001\u0001`;
  return Buffer.from(payload, 'utf8').toString('base64');
}

export interface OAuthLoginResult {
  reply: ImapReply;
  /** The decoded JSON of the server's error challenge, if it sent one. */
  errorJson?: unknown;
}

/** AUTHENTICATE with the token; the server's error challenge is read, then cancelled as the mechanism asks. */
export async function oauthLogin(conversation: ImapConversation, mechanism: 'OAUTHBEARER' | 'XOAUTH2', saslIr: boolean, user: string, token: string, host: string, port: number): Promise<OAuthLoginResult> {
  const response = oauthInitialResponse(mechanism, user, token, host, port);
  let errorJson: unknown;
  let sent = saslIr;
  const reply = await conversation.command(saslIr ? `AUTHENTICATE ${mechanism} ${response}` : `AUTHENTICATE ${mechanism}`, {
    shown: `AUTHENTICATE ${mechanism}${saslIr ? ' (redacted)' : ''}`,
    onContinuation: (line) => {
      if (!sent) {
        sent = true;
        return { data: response, shown: '(redacted)' };
      }
      try {
        errorJson = JSON.parse(Buffer.from(line.slice(1).trim(), 'base64').toString('utf8'));
      } catch {
        errorJson = undefined;
      }
      // RFC 7628 3.2.3: the client answers the error with a single 0x01 (XOAUTH2: an empty line)
      return mechanism === 'OAUTHBEARER' ? { data: 'AQ==', shown: 'AQ== (ends the exchange after the error)' } : { data: '', shown: '(empty: ends the exchange after the error)' };
    },
  });
  return { reply, ...(errorJson !== undefined ? { errorJson } : {}) };
}

/** The login step's outcome for a refused token. */
export function tokenRefusal(result: OAuthLoginResult, claims: TokenClaims | undefined, user: string, now = Date.now()): { summary: string; fix: string; details: string[] } {
  const sasl = decodeSaslFailure({ json: result.errorJson, serverText: result.reply.text, ...(claims ? { claims } : {}), user, now });
  const words: Record<typeof sasl.reason, string> = {
    expired: 'The token expired.',
    scope: `The token lacks the scope the server needs${sasl.scope ? ` (${sasl.scope})` : ''}.`,
    user: 'The token belongs to another user than the user name.',
    consent: 'The provider has no consent for this app.',
    disabled: 'This tenant or mailbox has IMAP disabled.',
    invalid: 'The server did not accept the token.',
  };
  return {
    summary: `${words[sasl.reason]}${result.reply.text ? ` The server said: "${result.reply.text}".` : ''}`,
    fix: sasl.advice,
    details: [...(result.errorJson !== undefined ? [`Server's SASL error: ${JSON.stringify(result.errorJson)}`] : ['The server sent no SASL error details.'])],
  };
}
