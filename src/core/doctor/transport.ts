// The steps IMAP and SMTP share below their protocol: DNS, TCP, the TLS handshake (recognising what
// answered when it is not TLS), and the TLS step of the report.
import { isIP, type Socket } from 'node:net';
import { type Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, rootCertificates, type TLSSocket } from 'node:tls';
import { MailError, toMailError } from '../errors';
import { servernameFor } from '../tls';
import { inspectTls, judgeTls, type TlsJudgement } from './certificate';
import { describeDnsError } from './dns';
import { type CheckContext, stepId } from './steps';
import { printable } from './transcript';
import { type Protocol, type TlsReport } from './types';
import { connectTcp, TappedStream } from './wire';

export const PROTOCOL_NAME: Record<Protocol, string> = { imap: 'IMAP', smtp: 'SMTP' };

/** The DNS step: the addresses to connect to, or undefined when the name does not resolve. */
export async function resolveStep(ctx: CheckContext, protocol: Protocol, host: string): Promise<string[] | undefined> {
  const id = stepId(protocol, 'dns');
  const started = Date.now();
  if (isIP(host)) {
    ctx.rec.record(id, started, { status: 'pass', summary: `${host} is an IP address: nothing to look up.` });
    return [host];
  }
  try {
    const addresses = await ctx.resolver.lookup(host);
    const v4 = addresses.filter((a) => a.family === 4).map((a) => a.address);
    const v6 = addresses.filter((a) => a.family === 6).map((a) => a.address);
    ctx.rec.record(id, started, {
      status: 'pass',
      summary: `${host} resolves to ${addresses.map((a) => a.address).join(', ')}.`,
      details: [`A: ${v4.join(', ') || 'none'}`, `AAAA: ${v6.join(', ') || 'none'}`],
    });
    return addresses.map((a) => a.address);
  } catch (err) {
    const { missing, text } = describeDnsError(err);
    ctx.rec.record(id, started, {
      status: 'fail',
      code: 'HOST_NOT_FOUND',
      summary: missing ? `The host name ${host} does not resolve: ${text}.` : `The host name ${host} could not be looked up: ${text}.`,
      fix: missing ? `Check the spelling of ${host}; the provider's help pages name the ${PROTOCOL_NAME[protocol]} server.` : 'Check the network connection and the DNS server of this computer, then try again.',
    });
    return undefined;
  }
}

/** The TCP step: a connected socket to the first address that accepts. */
export async function connectStep(ctx: CheckContext, protocol: Protocol, addresses: string[], port: number): Promise<{ socket: Socket; address: string } | undefined> {
  const id = stepId(protocol, 'tcp');
  const started = Date.now();
  const result = await connectTcp(addresses, port, ctx.timeouts.connect);
  const details = result.attempts.map((a) => `${a.address}:${port}: ${a.error ? a.error.message : `connected in ${a.ms} ms`}`);
  if (result.socket && result.address) {
    const ms = result.attempts[result.attempts.length - 1].ms;
    ctx.transcript.note(protocol, `connected to ${result.address}:${port}`);
    ctx.rec.record(id, started, { status: 'pass', summary: `Connected to ${result.address} port ${port} in ${ms} ms.`, details });
    return { socket: result.socket, address: result.address };
  }
  const last = result.attempts[result.attempts.length - 1]?.error ?? new MailError('UNKNOWN', 'No address to connect to.');
  const refused = last.code === 'CONNECTION_REFUSED';
  ctx.rec.record(id, started, {
    status: 'fail',
    code: last.code,
    summary: refused
      ? `Connection refused on port ${port}: nothing listens there${addresses.length > 1 ? ` on any of ${addresses.length} addresses` : ''}, or a firewall rejects it.`
      : last.code === 'TIMEOUT'
        ? `The connection to port ${port} timed out: the port is probably filtered by a firewall, or the host is down.`
        : last.message,
    details,
    fix: refused
      ? `Check the port number (${protocol === 'imap' ? 'IMAP: 993 for TLS, 143 for STARTTLS' : 'SMTP submission: 465 for TLS, 587 for STARTTLS'}) and that the server is running and listening on this address.`
      : 'Check firewalls between here and the server (some networks block mail ports), and that the host is up.',
  });
  return undefined;
}

export interface Speaker {
  kind: 'imap' | 'smtp' | 'pop3' | 'http' | 'ssh' | 'tls' | 'unknown';
  /** The first line it sent, printable. */
  line: string;
}

/** Names what sent these bytes, from its first line: the answer to "what is on this port". */
export function identifySpeaker(bytes: Buffer): Speaker | undefined {
  if (!bytes.length) {
    return undefined;
  }
  // 0x15 alert, 0x16 handshake: a TLS record
  if ((bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03) {
    return { kind: 'tls', line: '(TLS record)' };
  }
  const line = printable(bytes.toString('latin1').split(/\r?\n/)[0].slice(0, 200));
  if (/^\* (?:OK|PREAUTH|BYE)\b/i.test(line)) {
    return { kind: 'imap', line };
  }
  // any reply code: an SMTP server that was spoken to before its greeting answers 421 or 5xx
  if (/^[2-5]\d\d[ -]/.test(line)) {
    return { kind: 'smtp', line };
  }
  if (/^\+OK\b/.test(line)) {
    return { kind: 'pop3', line };
  }
  if (/^HTTP\/\d/.test(line)) {
    return { kind: 'http', line };
  }
  if (/^SSH-/.test(line)) {
    return { kind: 'ssh', line };
  }
  return { kind: 'unknown', line };
}

export const SPEAKER_NAME: Record<Speaker['kind'], string> = {
  imap: 'an IMAP server',
  smtp: 'an SMTP server',
  pop3: 'a POP3 server',
  http: 'an HTTP (web) server',
  ssh: 'an SSH server',
  tls: 'a TLS server',
  unknown: 'an unknown service',
};

function tlsOptions(ctx: CheckContext, host: string, outdatedAllowed: boolean): ConnectionOptions {
  return {
    servername: servernameFor(host),
    // Read the certificate whatever it is; certificate.ts judges it. Nothing secret is sent
    // before that judgement allows it.
    rejectUnauthorized: false,
    ...(ctx.trust.ca?.length ? { ca: [...rootCertificates, ...ctx.trust.ca] } : {}),
    // Only to name the version of a server that refuses TLS 1.2; such a connection never carries a password.
    ...(outdatedAllowed ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}

/** Runs a TLS handshake over a connected stream. */
export function tlsHandshake(ctx: CheckContext, stream: Duplex, host: string, outdatedAllowed = false): Promise<{ socket: TLSSocket; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ socket: stream as Socket, ...tlsOptions(ctx, host, outdatedAllowed) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MailError('TIMEOUT', `No answer to the TLS handshake within ${ctx.timeouts.tls} ms.`));
    }, ctx.timeouts.tls);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      // the LineWire that reads it reports errors from now on; this one only keeps them from crashing
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve({ socket, ms: Date.now() - started });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

export type TlsAttempt =
  | { ok: true; socket: TLSSocket; ms: number }
  | { ok: false; error: MailError; speaker: Speaker | undefined; outdated: boolean };

const OUTDATED_SERVER = /UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|NO_PROTOCOLS|VERSION_TOO_LOW|unsupported protocol|no protocols available/i;

/** TLS from the first byte on a fresh TCP connection; on failure, says what answered instead. */
export async function implicitTls(ctx: CheckContext, protocol: Protocol, socket: Socket, host: string): Promise<TlsAttempt> {
  const tap = new TappedStream(socket);
  ctx.transcript.note(protocol, 'TLS handshake (implicit TLS)');
  try {
    return { ok: true, ...(await tlsHandshake(ctx, tap, host)) };
  } catch (err) {
    // a plaintext server may still be sending its greeting line when OpenSSL gives up on it
    await new Promise((r) => setTimeout(r, 50));
    tap.destroy();
    const speaker = identifySpeaker(tap.firstBytes);
    if (speaker && speaker.kind !== 'tls') {
      ctx.transcript.server(protocol, speaker.line);
    }
    const code = (err as { code?: string }).code ?? '';
    return { ok: false, error: toMailError(err), speaker, outdated: OUTDATED_SERVER.test(`${code} ${(err as Error).message ?? ''}`) };
  }
}

/** A second handshake that accepts TLS 1.0/1.1, only to tell the user which old version the server speaks. */
export async function outdatedTlsProbe(ctx: CheckContext, protocol: Protocol, address: string, port: number, host: string): Promise<{ socket: TLSSocket; ms: number } | undefined> {
  const tcp = await connectTcp([address], port, ctx.timeouts.connect);
  if (!tcp.socket) {
    return undefined;
  }
  ctx.transcript.note(protocol, 'the server refused TLS 1.2 and newer: a second handshake that allows TLS 1.0 and 1.1, to name the version it speaks');
  try {
    return await tlsHandshake(ctx, tcp.socket, host, true);
  } catch {
    tcp.socket.destroy();
    return undefined;
  }
}

/** Records the TLS step for an established TLS socket; the judgement says whether a password may follow. */
export function recordTlsStep(ctx: CheckContext, protocol: Protocol, socket: TLSSocket, host: string, ms: number, started: number): { report: TlsReport; judgement: TlsJudgement } {
  const report = inspectTls(socket, host, ms, ctx.trust);
  const judgement = judgeTls(report);
  ctx.transcript.note(protocol, `TLS established: ${report.protocol}, ${report.cipher}, certificate ${report.certificate.subject} (SHA-256 ${report.certificate.sha256})`);
  ctx.rec.record(stepId(protocol, 'tls'), started, { status: judgement.status, summary: judgement.summary, details: judgement.details, ...(judgement.fix ? { fix: judgement.fix } : {}), ...(judgement.code ? { code: judgement.code } : {}) });
  return { report, judgement };
}

/** The TLS step when the handshake itself failed. */
export function recordTlsFailure(ctx: CheckContext, protocol: Protocol, error: MailError, started: number): void {
  ctx.rec.record(stepId(protocol, 'tls'), started, {
    status: 'fail',
    code: error.code === 'UNKNOWN' ? 'TLS_FAILED' : error.code,
    summary: `The TLS handshake failed: ${error.message}`,
    fix: 'Check the TLS setup of the server (certificate and key files, enabled protocols); openssl s_client (below) shows the details.',
  });
}
