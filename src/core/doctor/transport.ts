// The steps IMAP and SMTP share below their protocol: DNS, TCP, the TLS handshake (recognising what
// answered when it is not TLS), and the TLS step of the report.
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { type Security } from '../account';
import { MailError, toMailError } from '../errors';
import { summarizeCertificate } from '../tls';
import { tlsHandshakeAdvice } from './advice';
import { inspectTls, judgeTls, type Reverify, sessionTlsOptions, type TlsJudgement } from './certificate';
import { describeDnsError, type ResolvedAddress } from './dns';
import { HandshakeCapture } from './sentChain';
import { type CheckContext, stepId, type StepOutcome } from './steps';
import { printable } from './transcript';
import { type AddressReport, type Protocol, type ServerReport, type TlsReport } from './types';
import { connectOne, connectTcp, TappedStream } from './wire';

export const PROTOCOL_NAME: Record<Protocol, string> = { imap: 'IMAP', smtp: 'SMTP' };

/** The DNS step: every address to connect to (A and AAAA), or undefined when the name does not resolve. */
export async function resolveStep(ctx: CheckContext, protocol: Protocol, host: string): Promise<ResolvedAddress[] | undefined> {
  const id = stepId(protocol, 'dns');
  const started = Date.now();
  const family = isIP(host);
  if (family) {
    ctx.rec.record(id, started, { status: 'pass', summary: `${host} is an IP address: nothing to look up.` });
    return [{ address: host, family: family === 6 ? 6 : 4 }];
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
    return addresses;
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

/** What one address says when spoken to: a greeting line, or the certificate of a TLS handshake. */
interface AddressProbe {
  report: AddressReport;
  /** Connected and answered like a server of this kind. */
  answered: boolean;
  /** The certificate it showed, for comparing addresses. */
  certificateName?: string;
}

/** Reads one line from a fresh socket without recording it: an address probe's greeting. */
function firstLine(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => finish(new MailError('TIMEOUT', `connects, but sends no greeting within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\n')) {
        finish();
      }
    };
    const onEnd = () => finish(new MailError('DISCONNECTED', text ? 'connects, but hangs up in the middle of its greeting' : 'connects, but hangs up without a word'));
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('close', onEnd);
      if (err) {
        reject(err);
      } else {
        resolve(printable(text.split(/\r?\n/)[0].slice(0, 200)));
      }
    };
    socket.on('data', onData).on('end', onEnd).on('close', onEnd);
  });
}

async function probeAddress(ctx: CheckContext, protocol: Protocol, address: ResolvedAddress, port: number, security: Security, host: string): Promise<AddressProbe> {
  const started = Date.now();
  const report: AddressReport = { address: address.address, family: address.family, connected: false, ms: 0, error: null, answer: null, certificate: null };
  let socket: Socket;
  try {
    socket = await connectOne(address.address, port, ctx.timeouts.connect);
  } catch (err) {
    const error = toMailError(err);
    report.ms = Date.now() - started;
    report.error = error.code === 'CONNECTION_REFUSED' ? 'connection refused' : error.code === 'TIMEOUT' && /no route/i.test(error.message) ? beforeColon(error.message.replace(/^There is /, '')) : error.code === 'TIMEOUT' ? `no answer within ${ctx.timeouts.connect} ms` : error.message;
    return { report, answered: false };
  }
  report.connected = true;
  report.ms = Date.now() - started;
  try {
    if (security === 'tls') {
      const hs = await tlsHandshake(ctx, socket, host);
      const peer = hs.socket.getPeerCertificate();
      report.certificate = peer?.fingerprint256 ?? null;
      report.answer = `TLS (${hs.socket.getProtocol() ?? '?'}), certificate ${summarizeCertificate(peer).subject}`;
      hs.socket.destroy();
      return { report, answered: true, certificateName: summarizeCertificate(peer).subject };
    }
    const line = await firstLine(socket, ctx.timeouts.greeting);
    report.answer = line;
    const speaker = identifySpeaker(Buffer.from(line, 'latin1'));
    if (speaker?.kind !== protocol) {
      report.error = `connects, but answers "${line}", not as ${PROTOCOL_NAME[protocol]}`;
      return { report, answered: false };
    }
    return { report, answered: true };
  } catch (err) {
    const error = toMailError(err);
    report.error = security === 'tls' && error.code !== 'TIMEOUT' ? `connects, but the TLS handshake fails (${error.message})` : security === 'tls' ? `connects, but does not answer the TLS handshake within ${ctx.timeouts.tls} ms` : error.message;
    return { report, answered: false };
  } finally {
    socket.destroy();
  }
}

const FAMILY_WORD = { 4: 'IPv4', 6: 'IPv6' } as const;
const RECORD_WORD = { 4: 'A', 6: 'AAAA' } as const;

function listOf(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** The warning for addresses that do not answer while others do: which family, why, and what to do. */
function deadAddressFinding(bad: AddressProbe[], good: AddressProbe[], port: number, host: string): { summary: string; fix: string } {
  const badFamilies = new Set(bad.map((b) => b.report.family));
  const goodFamilies = new Set(good.map((g) => g.report.family));
  const reasons = [...new Set(bad.map((b) => b.report.error ?? 'no answer'))].join('; ');
  const addresses = listOf(bad.map((b) => b.report.address));
  const plural = bad.length > 1;
  if (badFamilies.size === 1) {
    const family = [...badFamilies][0];
    const otherWorks = !goodFamilies.has(family);
    const refused = bad.every((b) => b.report.error === 'connection refused');
    const silent = bad.every((b) => b.report.connected);
    const subject = `${FAMILY_WORD[family]} address${plural ? 'es' : ''} ${addresses}`;
    const summary = otherWorks
      ? `${subject} ${plural ? 'do' : 'does'} not answer on port ${port} (${reasons}); ${FAMILY_WORD[family === 6 ? 4 : 6]} works: fix ${FAMILY_WORD[family]} or remove the ${RECORD_WORD[family]} record.`
      : `${subject} ${plural ? 'do' : 'does'} not answer on port ${port} (${reasons}), while ${listOf(good.map((g) => g.report.address))} ${good.length > 1 ? 'do' : 'does'}: fix ${plural ? 'them' : 'it'} or remove ${plural ? 'their' : 'its'} ${RECORD_WORD[family]} record.`;
    const why = refused
      ? `Nothing listens on ${addresses} port ${port}: make the server listen there too (Dovecot: listen = *, ::; Postfix: inet_protocols = all)`
      : silent
        ? `Something on ${addresses} accepts the connection but is not the mail server (or hangs): point the ${RECORD_WORD[family]} record at the mail server`
        : `${addresses} cannot be reached on port ${port}: a firewall drops it or the address is not routed; open port ${port} for ${FAMILY_WORD[family]} (nftables, the provider's firewall or security group)`;
    return {
      summary,
      fix: `${why}, or remove the ${RECORD_WORD[family]} record of ${host}. Clients that try ${FAMILY_WORD[family]} first wait for it${refused ? '' : ' until their timeout'} before they fall back (this app gives up on an address after 250 ms; many clients wait 20 s or more).`,
    };
  }
  return {
    summary: `Address${plural ? 'es' : ''} ${addresses} ${plural ? 'do' : 'does'} not answer on port ${port} (${reasons}), while ${listOf(good.map((g) => g.report.address))} ${good.length > 1 ? 'do' : 'does'}: fix ${plural ? 'them' : 'it'} or remove ${plural ? 'their' : 'its'} DNS record${plural ? 's' : ''}.`,
    fix: `Make the mail server answer on every address of ${host}, or remove the records of those that do not.`,
  };
}

/**
 * The TCP step. One address: connect to it. Several (A and AAAA): try every one at once, and let
 * each say what it is (its greeting, or its certificate on a TLS port), because clients pick
 * different ones; one that does not answer, or answers as another server, is a warning. The check
 * then goes on with the first address, in the resolver's order, that answered.
 */
export async function connectStep(ctx: CheckContext, protocol: Protocol, addresses: ResolvedAddress[], port: number, security: Security, host: string, report: ServerReport): Promise<{ socket: Socket; address: string } | undefined> {
  const id = stepId(protocol, 'tcp');
  const started = Date.now();
  if (addresses.length > 1) {
    const probes = await Promise.all(addresses.map((a) => probeAddress(ctx, protocol, a, port, security, host)));
    report.addresses = probes.map((p) => p.report);
    for (const p of probes) {
      ctx.transcript.note(protocol, `${p.report.address} port ${port}: ${p.report.connected ? `connected in ${p.report.ms} ms` : 'did not connect'}${p.report.error ? `, ${p.report.error}` : p.report.answer ? `, ${p.report.answer}` : ''}`);
    }
    const details = probes.map((p) => `${FAMILY_WORD[p.report.family]} ${p.report.address}: ${p.report.connected ? `connected in ${p.report.ms} ms` : 'did not connect'}${p.report.error ? `; ${p.report.error}` : p.report.answer ? `; answers: ${p.report.answer}` : ''}`);
    const good = probes.filter((p) => p.answered);
    const chosen = good[0] ?? probes.find((p) => p.report.connected);
    if (chosen) {
      const tcp = await connectTcp([chosen.report.address], port, ctx.timeouts.connect);
      if (tcp.socket) {
        const bad = probes.filter((p) => !p.answered);
        const certificates = new Set(good.map((g) => g.report.certificate).filter(Boolean));
        let outcome: StepOutcome;
        if (good.length && bad.length) {
          const finding = deadAddressFinding(bad, good, port, host);
          outcome = { status: 'warn', summary: finding.summary, fix: finding.fix, details: [...details, `The rest of the check uses ${chosen.report.address}.`] };
        } else if (certificates.size > 1) {
          const [first, ...others] = good;
          const differing = others.filter((o) => o.report.certificate !== first.report.certificate);
          outcome = {
            status: 'warn',
            summary: `The addresses of ${host} answer with different certificates on port ${port}: ${first.report.address} shows "${first.certificateName}", ${listOf(differing.map((d) => `${d.report.address} shows "${d.certificateName}"`))}; clients get one or the other.`,
            fix: `Make every address of ${host} serve the same server (a record often still points to an old one), or remove the stale record.`,
            details: [...details, `The rest of the check uses ${chosen.report.address}.`],
          };
        } else if (!good.length) {
          outcome = { status: 'pass', summary: `Connected to ${chosen.report.address} port ${port} in ${chosen.report.ms} ms (none of the ${probes.length} addresses answered a first probe; the steps below say what it does).`, details };
        } else {
          outcome = { status: 'pass', summary: `All ${probes.length} addresses of ${host} answer on port ${port}; the check goes on with ${chosen.report.address}.`, details };
        }
        report.address = chosen.report.address;
        ctx.transcript.note(protocol, `connected to ${chosen.report.address}:${port}`);
        ctx.rec.record(id, started, outcome);
        return { socket: tcp.socket, address: chosen.report.address };
      }
    }
    return failConnect(ctx, protocol, port, addresses.length, probes.map((p) => p.report), started);
  }
  const result = await connectTcp(addresses.map((a) => a.address), port, ctx.timeouts.connect);
  report.addresses = result.attempts.map((a) => ({ address: a.address, family: isIP(a.address) === 6 ? 6 : 4, connected: !a.error, ms: a.ms, error: a.error ? a.error.message : null, answer: null, certificate: null }));
  const details = result.attempts.map((a) => `${a.address}:${port}: ${a.error ? a.error.message : `connected in ${a.ms} ms`}`);
  if (result.socket && result.address) {
    const ms = result.attempts[result.attempts.length - 1].ms;
    report.address = result.address;
    ctx.transcript.note(protocol, `connected to ${result.address}:${port}`);
    ctx.rec.record(id, started, { status: 'pass', summary: `Connected to ${result.address} port ${port} in ${ms} ms.`, details });
    return { socket: result.socket, address: result.address };
  }
  return failConnect(ctx, protocol, port, addresses.length, report.addresses, started, result.attempts[result.attempts.length - 1]?.error, details);
}

/**
 * The TCP step failed. Before saying why, one more piece of evidence: whether the protocol's other
 * usual port on the same address accepts. If it does, the host is up and this port is closed or
 * filtered, and the fix is that other port; if not, the host or the whole service is unreachable.
 */
async function failConnect(ctx: CheckContext, protocol: Protocol, port: number, count: number, addresses: AddressReport[], started: number, last?: MailError, details?: string[]): Promise<undefined> {
  const id = stepId(protocol, 'tcp');
  const refused = last ? last.code === 'CONNECTION_REFUSED' : addresses.every((a) => a.error === 'connection refused');
  const timedOut = last ? last.code === 'TIMEOUT' : addresses.some((a) => !a.connected && a.error !== 'connection refused');
  const usual = ctx.standardPorts[protocol];
  const others = [usual.tls, usual.starttls].filter((p) => p !== port);
  let open: number | undefined;
  const address = addresses[0]?.address;
  if (address && (refused || timedOut)) {
    for (const other of others) {
      try {
        (await connectOne(address, other, Math.min(ctx.timeouts.connect, 3000))).destroy();
        open = other;
        break;
      } catch {
        // closed as well: no evidence either way
      }
    }
  }
  const name = PROTOCOL_NAME[protocol];
  const otherMode = open === usual.tls ? 'TLS' : 'STARTTLS';
  const otherUrl = open !== undefined ? `${open === usual.tls ? `${protocol}s` : protocol}://${isIP(address!) === 6 ? `[${address}]` : address}:${open}` : '';
  const evidence = open !== undefined ? ` Port ${open} of the same address does accept connections, so the host is up and port ${port} is ${refused ? 'closed' : 'filtered'} there.` : others.length ? ` Port${others.length > 1 ? 's' : ''} ${others.join(' and ')} ${others.length > 1 ? 'do' : 'does'} not accept connections either.` : '';
  ctx.rec.record(id, started, {
    status: 'fail',
    code: refused ? 'CONNECTION_REFUSED' : timedOut ? 'TIMEOUT' : (last?.code ?? 'UNKNOWN'),
    summary: refused
      ? `Connection refused on port ${port}: nothing listens there${count > 1 ? ` on any of ${count} addresses` : ''}, or a firewall rejects it.${evidence}`
      : timedOut
        ? `The connection to port ${port} timed out${count > 1 ? ` on all ${count} addresses` : ''}: the port is probably filtered by a firewall, or the host is down.${evidence}`
        : `Unexpected answer: ${last?.message ?? addresses.map((a) => a.error).join('; ')}`,
    details: details ?? addresses.map((a) => `${a.address}:${port}: ${a.error ?? (a.connected ? 'connected, but did not answer' : 'did not connect')}`),
    fix:
      open !== undefined
        ? `Use ${otherMode} on port ${open} (${otherUrl}), which is open, or ask the administrator to open port ${port}${timedOut ? ' (or check the firewall of this network: some block outgoing mail ports)' : ''}.`
        : refused
          ? `Check the port number (${protocol === 'imap' ? 'IMAP: 993 for TLS, 143 for STARTTLS' : 'SMTP submission: 465 for TLS, 587 for STARTTLS'}) and that the ${name} server is running and listening on this address.`
          : `Check that the host is up and that no firewall between here and the server drops ${name} (some networks block mail ports: try another network).`,
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
  if (/^\* (?:OK|PREAUTH|BYE|NO|BAD)\b/i.test(line)) {
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
    // the app's own options (certificate.ts); nothing secret is sent before judgeTls allows it
    ...sessionTlsOptions(host, ctx.trust),
    // Only to name the version of a server that refuses TLS 1.2; such a connection never carries a password.
    ...(outdatedAllowed ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}

export interface TlsHandshake {
  socket: TLSSocket;
  ms: number;
  /** What the server sent during the handshake: the certificates as sent. */
  capture: HandshakeCapture;
}

/** Runs a TLS handshake over a connected TCP socket (or a tap on one), with the app's options unless others are given. */
export function tlsHandshake(ctx: CheckContext, stream: Socket | TappedStream, host: string, outdatedAllowed = false, options?: ConnectionOptions): Promise<TlsHandshake> {
  const started = Date.now();
  // through a tap, so that the handshake bytes can be read back (sentChain.ts)
  const tap = stream instanceof TappedStream ? stream : new TappedStream(stream);
  const capture = new HandshakeCapture();
  tap.onChunk = (chunk) => capture.push(chunk);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ socket: tap as unknown as Socket, ...(options ?? tlsOptions(ctx, host, outdatedAllowed)) });
    capture.watch(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MailError('TIMEOUT', `No answer to the TLS handshake within ${ctx.timeouts.tls} ms.`));
    }, ctx.timeouts.tls);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      capture.stop();
      tap.onChunk = undefined;
      // the LineWire that reads it reports errors from now on; this one only keeps them from crashing
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve({ socket, ms: Date.now() - started, capture });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

export type TlsAttempt =
  | ({ ok: true } & TlsHandshake)
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
export async function outdatedTlsProbe(ctx: CheckContext, protocol: Protocol, address: string, port: number, host: string): Promise<TlsHandshake | undefined> {
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
export async function recordTlsStep(ctx: CheckContext, protocol: Protocol, handshake: TlsHandshake, host: string, started: number, reverify: Reverify): Promise<{ report: TlsReport; judgement: TlsJudgement }> {
  const report = await inspectTls(handshake.socket, handshake.capture, host, handshake.ms, ctx.trust, reverify);
  const judgement = judgeTls(report);
  ctx.transcript.note(protocol, `TLS established: ${report.protocol}, ${report.cipher}, certificate ${report.certificate.subject} (SHA-256 ${report.certificate.sha256}); Node's verdict with the app's options: ${report.verifyError ?? 'accepted'}`);
  ctx.rec.record(stepId(protocol, 'tls'), started, { status: judgement.status, summary: judgement.summary, details: judgement.details, ...(judgement.fix ? { fix: judgement.fix } : {}), ...(judgement.code ? { code: judgement.code } : {}) });
  return { report, judgement };
}

/** The TLS step when the handshake itself failed: what the error means, from OpenSSL's alert or reason. */
export function recordTlsFailure(ctx: CheckContext, protocol: Protocol, error: MailError, started: number, host: string): void {
  const advice = tlsHandshakeAdvice(error.cause ?? error, host);
  ctx.rec.record(stepId(protocol, 'tls'), started, {
    status: 'fail',
    code: advice.code,
    summary: advice.summary,
    fix: advice.fix,
  });
}

/** `text` up to its first colon (a scan: /:.*$/ is quadratic on a run of colons). */
function beforeColon(text: string): string {
  const colon = text.indexOf(':');
  return colon < 0 ? text : text.slice(0, colon);
}
