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

const PROTOCOL_RULES: Array<[RegExp, string]> = [
  // A1 LOGIN user "password" / A1 LOGIN "user" {5}  (whatever follows the user name is secret)
  // (not "Pre-login capabilities listed, post-login ..." in a server greeting)
  // (not AUTH=LOGIN in a capability list either)
  [/((?<![-\w=])LOGIN\s+(?:"(?:[^"\\]|\\.)*"|\S+)\s+)\S.*$/gim, '$1(redacted)'],
  // AUTHENTICATE PLAIN <initial response>, XOAUTH2 / OAUTHBEARER tokens; SMTP's AUTH PLAIN <response>
  // (the whole rest of the line: a SASL initial response is one base64 word, but never show a part of it)
  [/(\bAUTHENTICATE\s+[\w-]+\s+)\S.*/gi, '$1(redacted)'],
  [/(\bAUTH\s+(?:PLAIN|LOGIN|XOAUTH2|OAUTHBEARER|CRAM-MD5)\s+)\S+/gi, '$1(redacted)'],
  // A bare base64 continuation line answering a SASL challenge
  [/(\bC:\s*)[A-Za-z0-9+/]{16,}={0,2}\s*$/gm, '$1(redacted)'],
  [/(\b(?:pass|password|pass_word|token|accessToken|access_token)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|\S+)/gi, '$1(redacted)'],
  [/(Authorization:\s*)\S+(\s+\S+)?/gi, '$1(redacted)'],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PROTOCOL_RULES) {
    out = out.replace(pattern, replacement);
  }
  for (const secret of knownSecrets) {
    if (out.includes(secret)) {
      out = out.split(secret).join('(redacted)');
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
