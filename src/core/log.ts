// The one logging interface of the core. The extension hands in its LogOutputChannel, tests a null
// logger. Everything written goes through redact(): passwords and tokens never reach a log.

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const nullLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Secrets handed to a connection; their literal values are masked wherever they appear. */
const knownSecrets = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  // A one-character "password" would mask every occurrence of that character; such a secret
  // is still hidden by the protocol rules below.
  if (secret && secret.length >= 4) {
    knownSecrets.add(secret);
  }
}

// Redaction hides secrets, not words. Secrets are found by the shape of what carries them, never by
// a word anywhere in a line: a server saying "Login is disabled" or "Pre-login capabilities" keeps
// every word. A line is a client line when it follows "C:" (our protocol logs; the lines after it in
// the same message belong to the same write), a server line after "S:", else unknown.
// - IMAP `tag LOGIN user password` (RFC 3501 6.2.3): whatever follows the user name.
// - IMAP `tag AUTHENTICATE mechanism initial-response` (RFC 4959 SASL-IR) and SMTP `AUTH mechanism
//   initial-response` (RFC 4954): the response.
// - In client lines, every line that is not a command: SASL continuations (base64) and literal data
//   (a password sent as {n} literal).
// - `password=`, `token:`... and HTTP Authorization values, outside server lines.
// - Everywhere, the literal values handed to registerSecret().
// Every pattern is anchored and has no nested quantifier: linear in the line length.
const REDACTED = '(redacted)';
/** A line's direction prefix: "[label] C: ", "[smtp] S: ", "C: "... */
const DIRECTION = /^(?:\[[^\]\r\n]*\] )?([CS]): ?/;
/**
 * An IMAP tag as clients write them (A1, 7, D12): RFC 3501 allows more punctuation, but a narrow
 * tag keeps a server's "250-AUTH LOGIN PLAIN" from reading as a LOGIN command.
 */
const TAG = '[\\w.]{1,32}';
const ASTRING = '(?:"(?:[^"\\\\]|\\\\.)*"|\\{\\d+[+-]?\\}|\\S+)';
const LOGIN = new RegExp(`^(${TAG}\\s+LOGIN\\s+${ASTRING})\\s+\\S.*$`, 'i');
const AUTHENTICATE = new RegExp(`^(${TAG}\\s+AUTHENTICATE\\s+[\\w-]+)\\s+\\S.*$`, 'i');
const SMTP_AUTH = /^(AUTH\s+[\w-]+)\s+\S.*$/i;
/** An IMAP command (clients send command names in upper case) or an SMTP verb, or IDLE's DONE. */
const IMAP_COMMAND = new RegExp(`^${TAG} [A-Z][A-Z0-9.-]*(?: |$)`);
const SMTP_COMMAND = /^(?:HELO|EHLO|MAIL|RCPT|DATA|BDAT|RSET|VRFY|EXPN|HELP|NOOP|QUIT|AUTH|STARTTLS|DONE)(?: |$)/;
const KEY_VALUE = /(\b(?:pass|password|pass_word|passwd|token|accessToken|access_token|refresh_token|client_secret)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi;
const AUTHORIZATION = /(\bAuthorization:\s*)\S+(?:[ \t]+\S+)?/gi;

function redactCommand(command: string, client: boolean): string {
  const login = LOGIN.exec(command);
  if (login) {
    return `${login[1]} ${REDACTED}`;
  }
  const authenticate = AUTHENTICATE.exec(command) ?? (client ? SMTP_AUTH.exec(command) : null);
  if (authenticate) {
    return `${authenticate[1]} ${REDACTED}`;
  }
  if (client && command.trim() && command.trim() !== '*' && !IMAP_COMMAND.test(command) && !SMTP_COMMAND.test(command)) {
    // a SASL response or literal data: not a command, so nothing in it is meant to be read
    return REDACTED;
  }
  return command;
}

function redactLine(line: string, inherited: 'C' | 'S' | undefined): { text: string; direction: 'C' | 'S' | undefined } {
  const prefix = DIRECTION.exec(line);
  const direction = prefix ? (prefix[1] as 'C' | 'S') : inherited;
  const head = prefix ? prefix[0] : '';
  let body = line.slice(head.length);
  if (direction !== 'S') {
    body = redactCommand(body, direction === 'C').replace(KEY_VALUE, `$1${REDACTED}`).replace(AUTHORIZATION, `$1${REDACTED}`);
  }
  return { text: head + body, direction };
}

/**
 * Hides passwords and tokens in a log message (one or more lines) and keeps every other word.
 * Pure; linear in the length of the text (no backtracking patterns: the text comes from servers).
 */
export function redact(text: string): string {
  let direction: 'C' | 'S' | undefined;
  const lines = text.split('\n').map((line) => {
    const done = redactLine(line, direction);
    direction = done.direction;
    return done.text;
  });
  let out = lines.join('\n');
  for (const secret of knownSecrets) {
    if (out.includes(secret)) {
      out = out.split(secret).join(REDACTED);
    }
  }
  return out;
}

/** A logger that redacts before writing. */
export function redacting(inner: Logger): Logger {
  return {
    trace: (m) => inner.trace(redact(m)),
    debug: (m) => inner.debug(redact(m)),
    info: (m) => inner.info(redact(m)),
    warn: (m) => inner.warn(redact(m)),
    error: (m) => inner.error(redact(m)),
  };
}

interface ImapflowLogEntry {
  src?: string;
  msg?: string;
  cid?: string;
  err?: { message?: string; code?: string; serverResponseCode?: string; responseText?: string };
  [key: string]: unknown;
}

/** "Command failed (AUTHENTICATIONFAILED: Authentication failed.)", without empty parts. */
function describe(entry: ImapflowLogEntry): string {
  const { err } = entry;
  const head = entry.msg || err?.message || '';
  const details = err ? [err.code ?? err.serverResponseCode, err.responseText ?? (entry.msg ? err.message : undefined)].filter(Boolean).join(': ') : '';
  return details ? `${head} (${details})` : head;
}

/**
 * Adapts our Logger to imapflow's pino-style logger: protocol lines (src 'c' / 's') go to trace as
 * "C:" / "S:" lines, connection events to info, everything else to debug.
 */
export function imapflowLogger(log: Logger, label: string) {
  const safe = redacting(log);
  const protocol = (entry: ImapflowLogEntry): boolean => {
    if (entry.src === 'c' || entry.src === 's') {
      safe.trace(`[${label}] ${entry.src === 'c' ? 'C' : 'S'}: ${entry.msg ?? ''}`);
      return true;
    }
    return false;
  };
  return {
    trace: (entry: ImapflowLogEntry) => void (protocol(entry) || safe.trace(`[${label}] ${describe(entry)}`)),
    debug: (entry: ImapflowLogEntry) => void (protocol(entry) || safe.debug(`[${label}] ${describe(entry)}`)),
    info: (entry: ImapflowLogEntry) => void (protocol(entry) || safe.info(`[${label}] ${describe(entry)}`)),
    warn: (entry: ImapflowLogEntry) => safe.warn(`[${label}] ${describe(entry)}`),
    error: (entry: ImapflowLogEntry) => safe.error(`[${label}] ${describe(entry)}`),
  };
}
