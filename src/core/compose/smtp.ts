// Submitting a message over SMTP with nodemailer, with the same TLS rules as IMAP (verified
// certificates or an exact pin; STARTTLS required when chosen), and every failure mapped to what
// the user needs to know, above all whether the message might have been accepted anyway.
import { format } from 'node:util';
import nodemailer from 'nodemailer';
import { type Security } from '../account';
import { decodeTokenClaims } from '../auth/claims';
import { decodeSaslFailure } from '../auth/saslError';
import { MailError, toMailError } from '../errors';
import { type Logger, redacting, registerSecret } from '../log';
import { tlsOptionsFor } from '../tls';
import { requireCanonical } from './canonical';

export interface SmtpSettings {
  host: string;
  port: number;
  security: Security;
  user: string;
  /** The password; unused when `accessToken` is set. */
  pass?: string;
  /** An OAuth 2.0 access token: the login is AUTH XOAUTH2 (nodemailer's OAuth2 auth). */
  accessToken?: string;
  pin?: { sha256: string; pem: string };
  extraCa?: string[];
  timeoutMs?: number;
}

export interface SendResult {
  accepted: string[];
  response: string;
}

/** How far a submission got: after the server said 354 the message text is on its way. */
interface Progress {
  dataStarted: boolean;
}

function transport(settings: SmtpSettings, unsafe: Logger, progress: Progress = { dataStarted: false }) {
  registerSecret(settings.pass);
  registerSecret(settings.accessToken);
  const logger = redacting(unsafe);
  const timeout = settings.timeoutMs ?? 30000;
  // nodemailer logs each protocol line with meta.tnx 'client' or 'server' and the line itself
  const line = (meta: unknown, args: unknown[]) => {
    // printf-style, like console.log: nodemailer passes '%s' templates and their values
    const text = format(...(args as [unknown, ...unknown[]]));
    const tnx = (meta as { tnx?: string } | undefined)?.tnx;
    if (tnx === 'server' && /^354\b/.test(text)) {
      progress.dataStarted = true;
    }
    return `[smtp] ${tnx === 'server' ? 'S: ' : tnx === 'client' ? 'C: ' : ''}${text}`;
  };
  return nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.security === 'tls',
    // STARTTLS when chosen is mandatory; 'none' never upgrades silently either way
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    auth: !settings.user ? undefined : settings.accessToken ? { type: 'OAuth2', user: settings.user, accessToken: settings.accessToken } : { user: settings.user, pass: settings.pass },
    tls: tlsOptionsFor(settings.host, settings.pin, settings.extraCa),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 2,
    // the protocol lines tell whether the message text was already handed over when a link dies
    debug: true,
    logger: {
      level: () => undefined,
      trace: (meta: unknown, ...args: unknown[]) => logger.trace(line(meta, args)),
      debug: (meta: unknown, ...args: unknown[]) => logger.trace(line(meta, args)),
      info: (meta: unknown, ...args: unknown[]) => logger.debug(line(meta, args)),
      warn: (meta: unknown, ...args: unknown[]) => logger.warn(line(meta, args)),
      error: (meta: unknown, ...args: unknown[]) => logger.error(line(meta, args)),
      fatal: (meta: unknown, ...args: unknown[]) => logger.error(line(meta, args)),
    },
  } as Parameters<typeof nodemailer.createTransport>[0]);
}

interface SmtpErrorLike {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  rejected?: string[];
}

export function classifySmtpError(error: unknown, where: { host: string; port: number; accessToken?: string | undefined; user?: string }, progress: Progress = { dataStarted: false }): MailError {
  const err = (error && typeof error === 'object' ? error : {}) as SmtpErrorLike;
  const at = `${where.host}:${where.port}`;
  const said = err.response ? ` The server said: ${err.response}` : '';
  const details = { host: where.host, port: where.port, ...(err.response ? { serverText: err.response } : {}) };
  // nodemailer reports a connection lost at any stage as "CONN": only our own record of the 354
  // tells that the message text had been handed over, when the server may already have queued it
  if (progress.dataStarted && !err.responseCode && (err.code === 'ECONNECTION' || err.code === 'ESOCKET' || err.code === 'ETIMEDOUT')) {
    return new MailError('SEND_UNCERTAIN', `The connection to ${at} ended right after the message was sent, before the server confirmed it. It may have been delivered: check with a recipient or your Sent mail before sending again.`, details, { cause: error });
  }
  if (err.code === 'EAUTH' && where.accessToken) {
    const claims = decodeTokenClaims(where.accessToken);
    const sasl = decodeSaslFailure({ ...(err.response ? { serverText: err.response } : {}), ...(claims ? { claims } : {}), ...(where.user ? { user: where.user } : {}) });
    return new MailError('TOKEN_REJECTED', `The SMTP server ${at} did not accept the OAuth 2.0 token: ${sasl.advice}${said}`, { ...details, sasl }, { cause: error });
  }
  if (err.code === 'EAUTH') {
    return new MailError('AUTH_FAILED', `The SMTP server ${at} did not accept the user name and password.${said}`, details, { cause: error });
  }
  if (err.code === 'EENVELOPE') {
    const who = err.rejected?.length ? ` (${err.rejected.join(', ')})` : '';
    return new MailError('RECIPIENT_REJECTED', `The SMTP server refused a recipient${who}; nothing was sent.${said}`, details, { cause: error });
  }
  if (err.code === 'EMESSAGE' || (err.responseCode && err.responseCode >= 500)) {
    return new MailError('SERVER_NO', `The SMTP server ${at} refused the message; nothing was sent.${said}`, details, { cause: error });
  }
  if (/STARTTLS/i.test(err.message ?? '') && /not|support|fail|require/i.test(err.message ?? '')) {
    return new MailError('STARTTLS_UNAVAILABLE', `${at} does not offer STARTTLS; the connection was stopped before sending anything.`, details, { cause: error });
  }
  const mapped = toMailError(error, where);
  return mapped.code === 'UNKNOWN' ? new MailError('UNKNOWN', `Sending through ${at} failed: ${err.message ?? String(error)}`, details, { cause: error }) : mapped;
}

/**
 * Sends exactly these bytes to exactly these recipients. Never retries on its own. The message
 * must be canonical (canonical.ts): otherwise MailError INVALID_INPUT, before any connection.
 * 8-bit content goes with BODY=8BITMIME (RFC 6152).
 */
export async function sendRaw(settings: SmtpSettings, envelope: { from: string; to: string[] }, raw: Buffer, logger: Logger): Promise<SendResult> {
  const { eightBit } = await requireCanonical(raw, 'sent');
  const progress: Progress = { dataStarted: false };
  const t = transport(settings, logger, progress);
  try {
    const info = await t.sendMail({ envelope: { ...envelope, ...(eightBit ? { use8BitMime: true } : {}) }, raw });
    const accepted = (info.accepted ?? []).map(String);
    const rejected = (info.rejected ?? []).map(String);
    if (rejected.length && !accepted.length) {
      throw Object.assign(new Error('recipients rejected'), { code: 'EENVELOPE', rejected });
    }
    return { accepted, response: String(info.response ?? '') };
  } catch (err) {
    throw classifySmtpError(err, settings, progress);
  } finally {
    t.close();
  }
}

/** Connects, says EHLO, logs in and quits: the account form's SMTP test. */
export async function verifySmtp(settings: SmtpSettings, logger: Logger): Promise<void> {
  const t = transport(settings, logger);
  try {
    await t.verify();
  } catch (err) {
    throw classifySmtpError(err, settings);
  } finally {
    t.close();
  }
}
