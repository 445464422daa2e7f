// A refused login, turned into what the user should do. Providers word their refusals differently;
// the response codes (RFC 5530 for IMAP, enhanced status codes for SMTP) and a few well-known
// phrases separate a wrong password from an app password requirement or an OAuth-only account.
import { type MailErrorCode } from '../errors';
import { OAUTH_MECHANISMS, PASSWORD_MECHANISMS } from './capabilities';

export interface LoginAdvice {
  code: MailErrorCode;
  summary: string;
  fix: string;
}

const APP_PASSWORD = /application[- ]specific password|app[- ]password|\bASP\b|WEBALERT|web ?browser|web ?login/i;
const OAUTH_ONLY = /\boauth|XOAUTH2|modern auth|basic auth(?:entication)? (?:is )?(?:disabled|blocked|not (?:allowed|supported))/i;

export function offersOnlyOAuth(mechanisms: string[]): boolean {
  return mechanisms.some((m) => OAUTH_MECHANISMS.includes(m)) && !mechanisms.some((m) => PASSWORD_MECHANISMS.includes(m));
}

export const LOGIN_DISABLED_PLAIN: LoginAdvice = {
  code: 'LOGIN_DISABLED',
  summary: 'The server refuses passwords on an unencrypted connection (LOGINDISABLED), so the password was not sent.',
  fix: 'Use STARTTLS (imap://host:143) or TLS (imaps://host:993): the server accepts the password once the connection is encrypted.',
};

export const OAUTH_REQUIRED: LoginAdvice = {
  code: 'OAUTH_REQUIRED',
  summary: 'The server accepts only OAuth sign-in (XOAUTH2 / OAUTHBEARER): it takes no password at all.',
  fix: 'A password cannot work here. Use the provider\'s app password if it offers one, or ask the administrator to allow password (IMAP/SMTP basic) authentication for this account.',
};

function serverWords(text: string): string {
  return text ? ` The server said: "${text}".` : '';
}

/** IMAP: a NO/BAD to LOGIN or AUTHENTICATE. */
export function imapLoginAdvice(reply: { status: string; code?: string; text: string }, mechanisms: string[], encrypted: boolean): LoginAdvice {
  const said = serverWords(reply.text);
  if (APP_PASSWORD.test(reply.text) || reply.code === 'WEBALERT') {
    return {
      code: 'APP_PASSWORD_REQUIRED',
      summary: `The provider wants an application-specific password, not the account password.${said}`,
      fix: 'Create an app password in the provider\'s account security settings (needed when two-step verification is on) and use it instead of the account password.',
    };
  }
  if (reply.code === 'PRIVACYREQUIRED' || (!encrypted && /TLS|SSL|encrypt|plaintext|insecure/i.test(reply.text))) {
    return { ...LOGIN_DISABLED_PLAIN, summary: `The server refuses the login on an unencrypted connection.${said}` };
  }
  if (OAUTH_ONLY.test(reply.text) || offersOnlyOAuth(mechanisms)) {
    return { ...OAUTH_REQUIRED, summary: `${OAUTH_REQUIRED.summary}${said}` };
  }
  if (reply.code === 'UNAVAILABLE') {
    return { code: 'SERVER_NO', summary: `The server cannot check logins right now (UNAVAILABLE).${said}`, fix: 'Try again later; if it persists, the server\'s authentication backend is down.' };
  }
  if (reply.code === 'EXPIRED') {
    return { code: 'AUTH_FAILED', summary: `The password has expired.${said}`, fix: 'Change the password with the provider (usually on its website), then use the new one.' };
  }
  if (reply.code === 'CONTACTADMIN' || reply.code === 'LIMIT') {
    return { code: 'SERVER_NO', summary: `The server refused the login (${reply.code}).${said}`, fix: reply.code === 'LIMIT' ? 'Close other mail clients connected to this account, or wait a few minutes.' : 'Contact the server administrator: the account needs their attention.' };
  }
  const oauthToo = mechanisms.some((m) => OAUTH_MECHANISMS.includes(m));
  return {
    code: 'AUTH_FAILED',
    summary: `The server did not accept the user name and password${reply.code ? ` (${reply.code})` : ''}.${said}`,
    fix: `Check the user name (often the full email address) and the password (keyboard layout, caps lock). If the same password works in the provider's web mail, the account needs an app password (two-step verification) or has IMAP access turned off in its settings.${oauthToo ? ' This server also offers OAuth sign-in: if password login is turned off for the account, only OAuth works.' : ''}`,
  };
}

/** SMTP: a 4xx/5xx to AUTH. */
export function smtpLoginAdvice(status: number, text: string, mechanisms: string[], encrypted: boolean): LoginAdvice {
  const said = serverWords(`${status} ${text}`.trim());
  if (APP_PASSWORD.test(text) || /\b5\.7\.9\b/.test(text)) {
    return {
      code: 'APP_PASSWORD_REQUIRED',
      summary: `The provider wants an application-specific password, not the account password.${said}`,
      fix: 'Create an app password in the provider\'s account security settings and use it instead of the account password.',
    };
  }
  // 530 5.7.0 "Must issue a STARTTLS command first", 538 5.7.11 "Encryption required"
  if (status === 538 || (status === 530 && (!encrypted || /TLS|encrypt/i.test(text)))) {
    return { code: 'LOGIN_DISABLED', summary: `The server refuses the login on an unencrypted connection.${said}`, fix: 'Use STARTTLS (smtp://host:587) or TLS (smtps://host:465).' };
  }
  if (OAUTH_ONLY.test(text) || offersOnlyOAuth(mechanisms)) {
    return { ...OAUTH_REQUIRED, summary: `${OAUTH_REQUIRED.summary}${said}` };
  }
  if (status >= 400 && status < 500) {
    return { code: 'SERVER_NO', summary: `The server could not check the login right now.${said}`, fix: 'Try again later.' };
  }
  return {
    code: 'AUTH_FAILED',
    summary: `The server did not accept the user name and password.${said}`,
    fix: 'Check the user name (often the full email address) and the password. Some providers use a separate password for sending.',
  };
}

/** Advice for one finding: what the error code is, what happened, what to do. */
export interface Advice {
  code: MailErrorCode;
  summary: string;
  fix: string;
}

/**
 * A TLS handshake that failed before any certificate could be judged, from OpenSSL's alert or
 * reason (Node's ERR_SSL_* codes). What the doctor cannot place says so, with OpenSSL's words.
 */
export function tlsHandshakeAdvice(error: unknown, host: string): Advice {
  const err = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : String(error);
  const said = `${code}${code && message ? ': ' : ''}${message}`.slice(0, 300);
  const is = (pattern: RegExp) => pattern.test(code) || pattern.test(message);
  if (is(/UNRECOGNIZED_NAME|unrecognized name/i)) {
    return {
      code: 'TLS_FAILED',
      summary: `The server does not know the name ${host} it was asked for (TLS alert "unrecognized name", ${said}).`,
      fix: `Use the host name the server is set up for (the provider's help pages name it), or, on the server, add a certificate for ${host}.`,
    };
  }
  if (is(/CERTIFICATE_REQUIRED|certificate required|ALERT_BAD_CERTIFICATE|bad certificate|HANDSHAKE_FAILURE.*client/i)) {
    return {
      code: 'TLS_FAILED',
      summary: `The server wants a client certificate, which this app does not send (${said}).`,
      fix: 'Ask the administrator to allow password logins without a client certificate on this port, or use the port meant for mail clients.',
    };
  }
  if (is(/DH_KEY_TOO_SMALL|dh key too small/i)) {
    return {
      code: 'TLS_FAILED',
      summary: `The server offers Diffie-Hellman parameters too small to be safe (${said}), which Node's TLS refuses (the Logjam attack).`,
      fix: 'On the server, use 2048-bit DH parameters (Dovecot: ssl_dh = </etc/dovecot/dh.pem) or ECDHE key exchange only.',
    };
  }
  if (is(/EE_KEY_TOO_SMALL|CA_KEY_TOO_SMALL|CA_MD_TOO_WEAK|key too small|md too weak/i)) {
    return {
      code: 'TLS_UNTRUSTED',
      summary: `Node's TLS refuses the server's certificate during the handshake: its key or signature is too weak (${said}).`,
      fix: 'Make a new key of 2048 bits or more and have the certificate issued again with SHA-256.',
    };
  }
  if (is(/HANDSHAKE_FAILURE|handshake failure|NO_SHARED_CIPHER|no shared cipher|INSUFFICIENT_SECURITY|NO_SUITABLE/i)) {
    return {
      code: 'TLS_FAILED',
      summary: `The server broke off the handshake (${said}): it shares no cipher suite or key exchange with this app (TLS 1.2 or 1.3 with current ciphers), or it wants a client certificate.`,
      fix: 'Compare with openssl s_client (below): if it connects only with -cipher \'DEFAULT:@SECLEVEL=0\', the server offers only outdated ciphers; enable current ones (Dovecot: remove old ssl_cipher_list settings). Otherwise the server log says what it wanted.',
    };
  }
  if (is(/INTERNAL_ERROR|internal error/i)) {
    return {
      code: 'TLS_FAILED',
      summary: `The server failed during the handshake (TLS alert "internal error", ${said}): it usually has no certificate or key it can use for ${host}.`,
      fix: 'Check the server log and its certificate settings for this name (files readable, key matching the certificate).',
    };
  }
  if (is(/ECONNRESET|socket disconnected|socket hang up|EPIPE/i)) {
    return {
      code: 'TLS_FAILED',
      summary: `The server closed the connection in the middle of the TLS handshake, without a TLS alert (${said}).`,
      fix: 'Two causes fit: the server cannot load its certificate or key (its log then says so, e.g. Dovecot "ssl_cert: Can\'t open file"), or something on the way (a firewall, an intrusion prevention system) cuts TLS. If the server log shows no attempt from this address, look at the network.',
    };
  }
  return {
    code: 'TLS_FAILED',
    summary: `Unexpected answer: the TLS handshake failed with "${said}".`,
    fix: 'openssl s_client (below) shows the handshake in detail; the server log says what the server disliked.',
  };
}

/** Words that say the server refuses this client's address (rate limiting, blocklists, fail2ban-like guards). */
const ADDRESS_BLOCK = /intrusion|prevent|block|ban(?:ned)?\b|blacklist|denylist|deny|denied|not allowed|forbidden|reject|refus|abuse|reputation|spam|\bIP\b|address/i;
const CONNECTION_LIMIT = /too many|maximum|max(?:imum)?[ _-]?conn|limit|exceed|busy|overload|try (?:again )?later|temporar/i;

/**
 * A greeting that turns the client away: IMAP "* NO" (not in RFC 3501, but how several servers
 * refuse an address with a reason), "* BYE" (RFC 3501 7.1.5) or "* BAD"; SMTP 554 or 421 (RFC 5321
 * 3.1, 4.2.5). `line` is the greeting as sent, `reason` its human text; `refusal` is true for the
 * kinds that mean "not you" (NO, 554) rather than "not now" (BYE, 421).
 */
export function greetingRefusalAdvice(line: string, reason: string, refusal: boolean, address: string | null): Advice {
  const from = address ? ` (${address} is the server address this computer reached)` : '';
  if (CONNECTION_LIMIT.test(reason)) {
    return {
      code: 'SERVER_NO',
      summary: `The server refuses the connection because it has too many: "${line}".`,
      fix: 'Close other mail clients or devices connected to this account (each one holds connections), wait a few minutes and try again; if it persists, the administrator can raise the limit.',
    };
  }
  if (refusal || ADDRESS_BLOCK.test(reason)) {
    return {
      code: 'SERVER_NO',
      summary: `The server refuses connections from this computer's address: "${line}"${from}.`,
      fix: 'This is not a setting of yours: such blocks usually follow too many failed logins and expire on their own. Wait (often 10 to 60 minutes) before trying again, or ask the server\'s administrator to unblock your address, quoting the server\'s words; check that no other device keeps trying an old password.',
    };
  }
  return {
    code: 'SERVER_NO',
    summary: `The server closed the connection as soon as it opened: "${line}".`,
    fix: 'The server is shutting down or refuses this client; try again later, and if it persists ask its administrator, quoting the server\'s words.',
  };
}

/**
 * The server greeted and then closed the connection before answering: it is overloaded, limits
 * connections, or blocks this address after the greeting (some intrusion prevention does).
 */
export function hangupAdvice(what: string, afterGreetingMs: number | undefined, bye: string | undefined): Advice {
  const when = afterGreetingMs !== undefined ? ` ${afterGreetingMs} ms after its greeting` : ' right after its greeting';
  return {
    code: 'DISCONNECTED',
    summary: `The server closed the connection${when}, before answering ${what}${bye ? `, saying "${bye}"` : ' and without a word'}: it is overloaded, limits the connections it accepts, or blocks this address.`,
    fix: `${bye ? 'Its words above say which. ' : ''}Try again in a few minutes; if it keeps happening, close other mail clients of this account and ask the administrator whether your address is limited or blocked (its log shows why it closed the connection).`,
  };
}

/**
 * STARTTLS is not offered on a port that should have it. With LOGINDISABLED in the same list the
 * server itself wants TLS, so something on the way most likely removed STARTTLS (a firewall's
 * "mail inspection" that overwrites it with XXXXXXXX, an antivirus proxy, a hotel network).
 */
export function missingStarttlsAdvice(capabilities: string[], port: number, tlsUrl: string, protocol: 'IMAP' | 'SMTP'): Advice {
  const masked = capabilities.find((c) => /^X{4,}[A-Z]?$/.test(c));
  const loginDisabled = capabilities.includes('LOGINDISABLED');
  if (masked || loginDisabled) {
    const evidence = masked ? `the capability list holds "${masked}" where STARTTLS would be (firewalls that inspect mail overwrite it like that)` : 'the server announces LOGINDISABLED, so it wants TLS before any password, yet it does not announce STARTTLS';
    return {
      code: 'STARTTLS_UNAVAILABLE',
      summary: `STARTTLS is missing on port ${port}, and something between this computer and the server probably removed it: ${evidence}. The check stops here, before any password is sent.`,
      fix: `Use TLS on port ${protocol === 'IMAP' ? 993 : 465} (${tlsUrl}), which a middlebox cannot strip, or try from another network. To tell a middlebox from a server that has no TLS: run openssl s_client -starttls ${protocol.toLowerCase()} from another network; if STARTTLS appears there, the network here removes it.`,
    };
  }
  return {
    code: 'STARTTLS_UNAVAILABLE',
    summary: `The server does not offer STARTTLS on port ${port}. Going on would send the password in clear text, so the check stops here, as the app does.`,
    fix: `Use TLS on port ${protocol === 'IMAP' ? 993 : 465} (${tlsUrl}) if the server has it, or enable TLS on the server${protocol === 'IMAP' ? ' (Dovecot: ssl = yes with a certificate)' : ''}.`,
  };
}

/** The server announced STARTTLS but did not accept it. */
export function starttlsRefusedAdvice(answer: string): Advice {
  const bad = /^BAD\b|^5\d\d\b/i.test(answer);
  return bad
    ? {
        code: 'STARTTLS_UNAVAILABLE',
        summary: `The server announces STARTTLS but does not understand it: it answered "${answer}". The check stops before any password is sent.`,
        fix: 'Two causes fit: something on the way rewrites the command (a firewall\'s mail inspection), or the server announces a command it cannot run. Use TLS on the implicit-TLS port instead (993 for IMAP, 465 for SMTP); if the same happens from another network, the server is at fault.',
      }
    : {
        code: 'STARTTLS_UNAVAILABLE',
        summary: `The server announces STARTTLS but refused it: "${answer}". The check stops before any password is sent.`,
        fix: 'The server cannot start TLS right now, usually because its certificate or key cannot be loaded: its log says why. Meanwhile, try TLS on the implicit-TLS port (993 for IMAP, 465 for SMTP).',
      };
}

/** Greeting slower than this is worth a warning: clients with short timeouts give up. */
export const SLOW_GREETING_MS = 3000;

export function slowGreetingAdvice(ms: number, appTimeoutMs: number): { summary: string; fix: string } {
  return {
    summary: `The server took ${ms} ms to greet (this app waits up to ${appTimeoutMs / 1000} s; some clients give up sooner).`,
    fix: 'Servers that look up the client\'s address (reverse DNS, a DNS blocklist) before greeting wait this long when their DNS is slow: check the server\'s resolver. A server that is merely overloaded is slow on every command too (see the round trips).',
  };
}

/**
 * A step that broke off on an error the step itself did not expect: a lost connection, a timeout in
 * the middle of the conversation, or an answer the doctor does not understand (said so plainly).
 */
export function interruptedAdvice(code: MailErrorCode, message: string): { summary: string; fix: string } {
  switch (code) {
    case 'DISCONNECTED':
      return { summary: message, fix: 'The server closed the connection in the middle of the conversation. Try again; if it repeats, the server is overloaded, limits connections, or drops this client: its log says which.' };
    case 'TIMEOUT':
      return { summary: message, fix: 'The server stopped answering in the middle of the conversation. Try again; if it repeats, the server is overloaded or something on the way drops the connection (the server log says whether the command arrived).' };
    case 'UNKNOWN':
    case 'WRONG_PROTOCOL':
      return {
        summary: /^Unexpected answer/i.test(message) ? message : `Unexpected answer: ${message}`,
        fix: 'This is a case the doctor does not know. The protocol transcript (--verbose, or the report\'s transcript) shows the exchange; attach the JSON report (--json) to a bug report.',
      };
    default:
      return { summary: message, fix: 'The server\'s words above say why; its administrator can tell more.' };
  }
}
