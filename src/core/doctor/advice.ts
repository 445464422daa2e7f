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
    fix: `Check the user name (often the full email address) and the password (keyboard layout, caps lock). Providers with two-step verification need an app password.${oauthToo ? ' This server also offers OAuth sign-in: if password login is turned off for the account, only OAuth works.' : ''}`,
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
