// Errors the UI can map to advice: every failure that reaches a user carries a code, a plain-text
// message, and the details the advice needs (a certificate fingerprint, the server's NO text).

export type MailErrorCode =
  | 'AUTH_FAILED'
  | 'NO_PASSWORD'
  | 'TLS_UNTRUSTED'
  | 'TLS_PIN_MISMATCH'
  | 'TLS_HOSTNAME'
  | 'TLS_EXPIRED'
  | 'TLS_FAILED'
  | 'TLS_NOT_TLS'
  /** The port answered with TLS where a plaintext greeting (STARTTLS or none) was expected. */
  | 'TLS_UNEXPECTED'
  | 'STARTTLS_UNAVAILABLE'
  /** Something other than the expected mail protocol answers on the port (a web server, SSH, SMTP on an IMAP port). */
  | 'WRONG_PROTOCOL'
  /** The server refuses passwords on this connection (IMAP LOGINDISABLED, SMTP 530/538 before TLS). */
  | 'LOGIN_DISABLED'
  /** The provider wants an application-specific password instead of the account password. */
  | 'APP_PASSWORD_REQUIRED'
  /** The server accepts only OAuth 2 tokens (XOAUTH2 / OAUTHBEARER), never a password. */
  | 'OAUTH_REQUIRED'
  | 'CONNECTION_REFUSED'
  | 'HOST_NOT_FOUND'
  | 'TIMEOUT'
  | 'DISCONNECTED'
  | 'SERVER_NO'
  /** The SMTP server refused one or more recipients (nothing was sent). */
  | 'RECIPIENT_REJECTED'
  /** The connection ended after the message was handed over: it may or may not have been accepted. */
  | 'SEND_UNCERTAIN'
  | 'NOT_FOUND'
  /** CREATE or RENAME onto a name that is taken (RFC 5530 ALREADYEXISTS, or Cyrus's words without it). */
  | 'ALREADY_EXISTS'
  /** DELETE of a folder that has subfolders, on a server that refuses it (RFC 5530 HASCHILDREN). */
  | 'FOLDER_HAS_CHILDREN'
  /** The server protects a special-use folder (Sent, Drafts, Trash...) from being deleted (RFC 6154). */
  | 'FOLDER_PROTECTED'
  | 'INVALID_INPUT'
  /** The OAuth 2.0 sign-in ended (refresh token revoked or expired, consent withdrawn): the user signs in again. */
  | 'SIGN_IN_REQUIRED'
  /** The server refused the OAuth 2.0 access token; `details.sasl` says why in plain words. */
  | 'TOKEN_REJECTED'
  /** The credential command (auth.method "command") failed, timed out or printed nothing. */
  | 'COMMAND_FAILED'
  | 'UNKNOWN';

export interface CertificateSummary {
  /** SHA-256 fingerprint, colon-separated upper-case hex as Node prints it. */
  sha256: string;
  subject: string;
  issuer: string;
  validTo: string;
  selfSigned: boolean;
  /** PEM of the leaf certificate, kept so that trusting it can pin it without a second probe. */
  pem: string;
}

export interface MailErrorDetails {
  certificate?: CertificateSummary;
  /** The server's own words (a NO or BAD text), shown as plain text. */
  serverText?: string;
  /** The response code in brackets before those words (RFC 5530), e.g. ALREADYEXISTS. */
  responseCode?: string;
  host?: string;
  port?: number;
  /** A refused OAuth 2.0 login, decoded from the server's SASL error (core/auth/saslError.ts). */
  sasl?: SaslFailure;
  /** The end of a credential command's standard error (never its standard output, which is the secret). */
  stderr?: string;
}

/** Why a server refused an OAuth 2.0 token, in the terms of RFC 7628 3.2.2 and the providers' own answers. */
export type SaslFailureReason = 'expired' | 'scope' | 'user' | 'consent' | 'disabled' | 'invalid';

export interface SaslFailure {
  reason: SaslFailureReason;
  /** The `status` the server sent (invalid_token, insufficient_scope, 401, 400...). */
  status?: string;
  /** The scope the server says it needs. */
  scope?: string;
  /** What to do about it, in plain words. */
  advice: string;
}

/** What a failed command was about, so a refusal can be told in a sentence that names it. */
export interface ErrorContext {
  host?: string;
  port?: number;
  /** The folder the command was about, as the user knows it (display name, not the raw path). */
  folder?: string;
  /** The folder operation that failed. */
  action?: 'create' | 'rename' | 'delete';
}

export class MailError extends Error {
  override readonly name = 'MailError';
  constructor(
    readonly code: MailErrorCode,
    message: string,
    readonly details: MailErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Failures that a retry cannot fix without the user changing something. */
  get needsUser(): boolean {
    return (
      this.code === 'AUTH_FAILED' ||
      this.code === 'NO_PASSWORD' ||
      this.code.startsWith('TLS_') ||
      this.code === 'STARTTLS_UNAVAILABLE' ||
      this.code === 'WRONG_PROTOCOL' ||
      this.code === 'LOGIN_DISABLED' ||
      this.code === 'APP_PASSWORD_REQUIRED' ||
      this.code === 'OAUTH_REQUIRED' ||
      this.code === 'INVALID_INPUT' ||
      this.code === 'SIGN_IN_REQUIRED' ||
      this.code === 'TOKEN_REJECTED' ||
      this.code === 'COMMAND_FAILED'
    );
  }
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  responseText?: unknown;
  serverResponseCode?: unknown;
  responseStatus?: unknown;
  _err?: unknown;
  cause?: unknown;
}

const TLS_UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

const ERRNO_NAMES = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH)\b/;

function codeOf(err: ErrorLike): string {
  // some libraries wrap socket errors in their own code (nodemailer: ESOCKET) and keep the errno
  // name only in the message
  const named = typeof err.message === 'string' ? ERRNO_NAMES.exec(err.message)?.[1] : undefined;
  if (typeof err.code === 'string' && (!named || !/^E(?:SOCKET|CONNECTION)$/.test(err.code))) {
    return err.code;
  }
  if (named) {
    return named;
  }
  const inner = (err._err ?? err.cause) as ErrorLike | undefined;
  return inner && typeof inner === 'object' ? codeOf(inner) : '';
}

/**
 * A server's refusal, recognised by what the server said: its response code (RFC 5530) first, then
 * its words for servers that send none (Cyrus 3.6 answers "NO Mailbox already exists" and "NO
 * SPECIAL-USE flag conflict" without a code). Word patterns are plain alternations (linear time).
 */
interface RefusalRule {
  code: MailErrorCode;
  responseCodes: string[];
  words: RegExp;
  sentence(context: ErrorContext, at: string, said: string): string;
}

const FOLDER_VERB = { create: 'create', rename: 'rename', delete: 'delete' } as const;

function named(context: ErrorContext): string {
  return context.folder ? `"${context.folder}"` : 'the folder';
}

const REFUSALS: RefusalRule[] = [
  {
    // Dovecot: NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS)
    // connections. Cyrus: NO Login only available under a layer.
    code: 'LOGIN_DISABLED',
    responseCodes: ['PRIVACYREQUIRED'],
    words: /only available under a layer|plaintext auth[a-z]* (is )?(disallowed|not allowed|disabled)|login (is )?disabled/i,
    sentence: (_c, at) => `${at} refuses passwords on an unencrypted connection (LOGINDISABLED), so the password was not sent. Choose STARTTLS or TLS (port 993) for this account.`,
  },
  {
    code: 'ALREADY_EXISTS',
    responseCodes: ['ALREADYEXISTS'],
    words: /already exists/i,
    sentence: (c) => `A folder named ${named(c)} already exists${c.action === 'rename' ? ': choose another name' : ''}.`,
  },
  {
    code: 'FOLDER_HAS_CHILDREN',
    responseCodes: ['HASCHILDREN'],
    words: /inferior hierarchical names|has (sub)?children|has subfolders/i,
    sentence: (c) => `The server does not delete ${named(c)} while it has subfolders: delete or move them first.`,
  },
  {
    code: 'FOLDER_PROTECTED',
    responseCodes: ['USEATTR'],
    words: /special[- ]use/i,
    sentence: (c) => `The server keeps ${named(c)} as one of the account's special folders (Sent, Drafts, Trash...) and does not allow to ${FOLDER_VERB[c.action ?? 'delete']} it.`,
  },
  {
    code: 'NOT_FOUND',
    responseCodes: ['NONEXISTENT', 'TRYCREATE'],
    words: /^(mailbox|folder) (does not|doesn't) exist/i,
    sentence: (c, _at, said) => (c.folder ? `The folder "${c.folder}" does not exist on the server.` : `The folder does not exist on the server (${said}).`),
  },
];

/** The rule that matches a NO/BAD answer, by response code, else by words. */
function refusalRule(responseCode: string | undefined, text: string): RefusalRule | undefined {
  const code = responseCode?.toUpperCase();
  return (code ? REFUSALS.find((r) => r.responseCodes.includes(code)) : undefined) ?? REFUSALS.find((r) => r.words.test(text));
}

/** Maps an imapflow, Node socket or TLS error to a MailError with a code and a sentence a user understands. */
export function toMailError(error: unknown, where: ErrorContext = {}): MailError {
  if (error instanceof MailError) {
    return error;
  }
  const err = (error && typeof error === 'object' ? error : { message: String(error) }) as ErrorLike;
  const code = codeOf(err);
  const message = typeof err.message === 'string' ? err.message : String(error);
  const at = where.host ? `${where.host}${where.port ? `:${where.port}` : ''}` : 'the server';
  const serverText = typeof err.responseText === 'string' ? err.responseText : undefined;
  const responseCode = typeof err.serverResponseCode === 'string' ? err.serverResponseCode : undefined;
  const details: MailErrorDetails = {
    ...(where.host ? { host: where.host } : {}),
    ...(where.port ? { port: where.port } : {}),
    ...(serverText ? { serverText } : {}),
    ...(responseCode ? { responseCode } : {}),
  };

  // imapflow's own refusal: the server announced LOGINDISABLED and offers no SASL mechanism that
  // takes a password (RFC 3501 6.2.3); no password went over the wire
  if (err.authenticationFailed && message === 'Login is disabled') {
    return new MailError('LOGIN_DISABLED', REFUSALS[0].sentence(where, at, message), details, { cause: error });
  }
  const answered = err.responseStatus === 'NO' || err.responseStatus === 'BAD' || Boolean(err.authenticationFailed) || serverText !== undefined || responseCode !== undefined;
  const rule = answered ? refusalRule(responseCode, serverText ?? '') : undefined;
  if (rule) {
    return new MailError(rule.code, rule.sentence(where, at, serverText ?? message), details, { cause: error });
  }
  if (err.authenticationFailed || err.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new MailError('AUTH_FAILED', `Authentication failed at ${at}: the user name or password was not accepted.`, details, { cause: error });
  }
  if (TLS_UNTRUSTED_CODES.has(code)) {
    return new MailError('TLS_UNTRUSTED', `The certificate of ${at} is not trusted (${code}).`, details, { cause: error });
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new MailError('TLS_EXPIRED', `The certificate of ${at} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'}.`, details, { cause: error });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new MailError('TLS_HOSTNAME', `The certificate of ${at} is for a different host name.`, details, { cause: error });
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(message)) {
    return new MailError('TLS_NOT_TLS', `${at} did not answer with TLS: this port may speak plain IMAP (use STARTTLS on it, or port 993).`, details, { cause: error });
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /\bSSL\b|TLS/.test(code)) {
    return new MailError('TLS_FAILED', `The TLS handshake with ${at} failed (${code}).`, details, { cause: error });
  }
  if (/STARTTLS/i.test(message) && /not|no|unavailable|unsupported|fail|cannot/i.test(message)) {
    return new MailError('STARTTLS_UNAVAILABLE', `${at} does not offer STARTTLS; the connection was stopped before sending the password.`, details, { cause: error });
  }
  if (code === 'ECONNREFUSED') {
    return new MailError('CONNECTION_REFUSED', `Nothing accepts connections at ${at} (connection refused). Check the host and port.`, details, { cause: error });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new MailError('HOST_NOT_FOUND', `The host name ${where.host ?? ''} could not be resolved.`.replace('  ', ' '), details, { cause: error });
  }
  if (code === 'ETIMEDOUT' || code === 'CONNECT_TIMEOUT' || code === 'GREETING_TIMEOUT' || /timeout|timed out/i.test(message)) {
    return new MailError('TIMEOUT', `${at} did not answer in time${code === 'GREETING_TIMEOUT' ? ' (no IMAP greeting: is this the right port and security?)' : ''}.`, details, { cause: error });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'NoConnection' || code === 'ClosedAfterConnectTLS' || code === 'ClosedAfterConnectText' || /connection (?:not available|closed)|socket (?:hang up|closed)|Unexpected close/i.test(message)) {
    return new MailError('DISCONNECTED', `The connection to ${at} was lost.`, details, { cause: error });
  }
  if (err.responseStatus === 'NO' || err.responseStatus === 'BAD' || serverText) {
    const said = serverText ?? message;
    return new MailError('SERVER_NO', `The server refused: ${said}`, details, { cause: error });
  }
  return new MailError('UNKNOWN', message, details, { cause: error });
}
