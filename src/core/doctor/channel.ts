// Opening an IMAP or SMTP connection the way the user asked (TLS from the first byte, STARTTLS, or
// none) and finding out when the port speaks something else: plain text on a TLS port, TLS on a
// STARTTLS port, or another protocol altogether. A mismatch fails the mode step, and the rest of
// the diagnosis goes on in the mode the port really speaks, so one run shows everything.
import { type Socket } from 'node:net';
import { type Duplex } from 'node:stream';
import { type TLSSocket } from 'node:tls';
import { type MailErrorCode, toMailError } from '../errors';
import { type CheckContext, stepId } from './steps';
import { implicitTls, outdatedTlsProbe, recordTlsFailure, recordTlsStep, SPEAKER_NAME, type Speaker, tlsHandshake, type TlsAttempt } from './transport';
import { type Endpoint, type Protocol, type ServerReport } from './types';
import { connectTcp, LineWire } from './wire';

export interface ProtocolInfo {
  protocol: Protocol;
  name: 'IMAP' | 'SMTP';
  tlsPort: number;
  starttlsPort: number;
  tlsScheme: string;
  starttlsScheme: string;
}

export const IMAP_INFO: ProtocolInfo = { protocol: 'imap', name: 'IMAP', tlsPort: 993, starttlsPort: 143, tlsScheme: 'imaps', starttlsScheme: 'imap' };
export const SMTP_INFO: ProtocolInfo = { protocol: 'smtp', name: 'SMTP', tlsPort: 465, starttlsPort: 587, tlsScheme: 'smtps', starttlsScheme: 'smtp' };

/** The protocol-specific part of opening a connection. */
export interface Driver<G> {
  info: ProtocolInfo;
  /** Judges the greeting whose first line was read (reading more lines if the protocol has them) and records the greeting step. */
  greet(wire: LineWire, firstLine: string, encrypted: boolean, started: number): Promise<G | undefined>;
  /** The capabilities before TLS (IMAP CAPABILITY, SMTP EHLO). */
  plainCapabilities(wire: LineWire, greeting: G): Promise<string[]>;
  /** Asks for STARTTLS: undefined when the server agreed, else its refusal. */
  startTls(wire: LineWire): Promise<string | undefined>;
  /** Remarks on the capabilities before TLS, for the mode step (LOGINDISABLED, say). */
  notesBeforeTls?(capabilities: string[]): string[];
}

export interface OpenSession<G> {
  wire: LineWire;
  greeting: G;
  encrypted: boolean;
  /** STARTTLS was used: what was learned before TLS is void. */
  upgraded: boolean;
  capabilitiesBeforeTls: string[];
  /** False when the TLS checks failed: no password goes over this connection. */
  passwordAllowed: boolean;
}

const LOOPBACK = /^(?:127\.|::1$|localhost$)/;

function capitalised(text: string): string {
  return text.replace(/^./, (c) => c.toUpperCase());
}

export class Channel<G> {
  private readonly sockets: Duplex[] = [];
  private readonly info: ProtocolInfo;

  constructor(
    private readonly ctx: CheckContext,
    private readonly driver: Driver<G>,
    private readonly endpoint: Endpoint,
    private readonly address: string,
    private readonly report: ServerReport,
  ) {
    this.info = driver.info;
  }

  private id(name: 'greeting' | 'mode' | 'tls') {
    return stepId(this.info.protocol, name);
  }

  private get url() {
    return { tls: `${this.info.tlsScheme}://${this.endpoint.host}`, starttls: `${this.info.starttlsScheme}://${this.endpoint.host}` };
  }

  private track<T extends Duplex>(socket: T): T {
    this.sockets.push(socket);
    return socket;
  }

  /** Destroys every socket this channel opened. */
  close(): void {
    for (const socket of this.sockets) {
      socket.destroy();
    }
  }

  async open(socket: Socket): Promise<OpenSession<G> | undefined> {
    this.track(socket);
    return this.endpoint.security === 'tls' ? this.openImplicit(socket) : this.openPlain(socket, this.endpoint.security === 'none' ? 'none' : 'starttls', false);
  }

  private async reconnect(): Promise<Socket | undefined> {
    const tcp = await connectTcp([this.address], this.endpoint.port, this.ctx.timeouts.connect);
    if (tcp.socket) {
      this.ctx.transcript.note(this.info.protocol, `connected again to ${this.address}:${this.endpoint.port}`);
      this.track(tcp.socket);
    }
    return tcp.socket;
  }

  private wrongProtocol(speaker: Speaker, started: number): undefined {
    const { port } = this.endpoint;
    const other = speaker.kind === 'imap' ? ' This one is an IMAP server (reading mail).' : speaker.kind === 'smtp' ? ' This one is an SMTP server (sending mail).' : '';
    this.ctx.rec.record(this.id('mode'), started, {
      status: 'fail',
      code: 'WRONG_PROTOCOL',
      summary: `${capitalised(SPEAKER_NAME[speaker.kind])} answers on port ${port}, not ${this.info.name === 'IMAP' ? 'an IMAP' : 'an SMTP'} server${speaker.kind === 'unknown' ? '' : ` ("${speaker.line}")`}.`,
      fix: `Check the port: ${this.info.name} uses ${this.info.tlsPort} (TLS) or ${this.info.starttlsPort} (STARTTLS).${other}`,
    });
    return undefined;
  }

  /** The port was called a TLS port: handshake first, and say what answered when it was not TLS. */
  private async openImplicit(socket: Socket): Promise<OpenSession<G> | undefined> {
    const { port } = this.endpoint;
    const started = Date.now();
    const attempt = await implicitTls(this.ctx, this.info.protocol, socket, this.endpoint.host);
    if (attempt.ok) {
      this.ctx.rec.record(this.id('mode'), started, { status: 'pass', summary: `Port ${port} answered the TLS handshake, as a TLS port should.` });
      return this.afterImplicitTls(attempt, started);
    }
    const { speaker } = attempt;
    if (speaker?.kind === this.info.protocol) {
      this.report.detectedSecurity = 'starttls';
      this.ctx.rec.record(this.id('mode'), started, {
        status: 'fail',
        code: 'TLS_NOT_TLS',
        summary: `This port speaks plain ${this.info.name}; use STARTTLS on it or port ${this.info.tlsPort}. Port ${port} answered in clear text ("${speaker.line}") instead of starting TLS, which mail clients report as "wrong version number".`,
        details: ['The remaining checks use STARTTLS on this port, the way it is meant to be used.'],
        fix: `Set the security to STARTTLS for port ${port} (${this.url.starttls}:${port}), or use TLS on port ${this.info.tlsPort} (${this.url.tls}:${this.info.tlsPort}).`,
      });
      const again = await this.reconnect();
      return again ? this.openPlain(again, 'starttls', true) : undefined;
    }
    if (speaker && speaker.kind !== 'tls') {
      return this.wrongProtocol(speaker, started);
    }
    if (attempt.outdated) {
      this.ctx.rec.record(this.id('mode'), started, { status: 'pass', summary: `Port ${port} answered the TLS handshake, as a TLS port should.` });
      const probe = await outdatedTlsProbe(this.ctx, this.info.protocol, this.address, port, this.endpoint.host);
      if (probe) {
        this.track(probe.socket);
        return this.afterImplicitTls({ ok: true, ...probe }, Date.now() - probe.ms);
      }
      recordTlsFailure(this.ctx, this.info.protocol, attempt.error, started);
      return undefined;
    }
    if (speaker?.kind === 'tls') {
      this.ctx.rec.record(this.id('mode'), started, { status: 'pass', summary: `Port ${port} answers in TLS.` });
      recordTlsFailure(this.ctx, this.info.protocol, attempt.error, started);
      return undefined;
    }
    this.ctx.rec.record(this.id('mode'), started, {
      status: 'fail',
      code: attempt.error.code,
      summary:
        attempt.error.code === 'TIMEOUT'
          ? `Port ${port} accepted the connection but never answered the TLS handshake: it may expect STARTTLS, or run a service that waits for the client to speak.`
          : `Port ${port} closed the connection during the TLS handshake without a word (${attempt.error.message}).`,
      fix: `Check that port ${port} is the server's ${this.info.name} TLS port (usually ${this.info.tlsPort}), or try STARTTLS (${this.url.starttls}:${this.info.starttlsPort}).`,
    });
    return undefined;
  }

  private async afterImplicitTls(attempt: Extract<TlsAttempt, { ok: true }>, started: number): Promise<OpenSession<G> | undefined> {
    const { report, judgement } = recordTlsStep(this.ctx, this.info.protocol, attempt.socket, this.endpoint.host, attempt.ms, started);
    this.report.tls = report;
    const wire = new LineWire(this.track(attempt.socket), this.ctx.transcript, this.info.protocol);
    const greetStarted = Date.now();
    let line: string;
    try {
      line = await wire.readLine(this.ctx.timeouts.greeting, 'its greeting');
    } catch (err) {
      this.ctx.rec.failed(this.id('greeting'), greetStarted, err, `The port speaks TLS but no ${this.info.name} greeting followed: check that port ${this.endpoint.port} is the ${this.info.name} port (a web server on HTTPS also waits silently).`);
      return undefined;
    }
    const greeting = await this.driver.greet(wire, line, true, greetStarted);
    return greeting === undefined ? undefined : { wire, greeting, encrypted: true, upgraded: false, capabilitiesBeforeTls: [], passwordAllowed: judgement.acceptable };
  }

  /** The port was called STARTTLS (or no TLS at all): the greeting comes in clear text first. */
  private async openPlain(socket: Socket, security: 'starttls' | 'none', modeDecided: boolean): Promise<OpenSession<G> | undefined> {
    const { port } = this.endpoint;
    const protocol = this.info.protocol;
    const wire = new LineWire(socket, this.ctx.transcript, protocol);
    const started = Date.now();
    let line: string;
    try {
      line = await wire.readLine(this.ctx.timeouts.greeting, 'its greeting');
    } catch (err) {
      wire.close();
      return this.silentOnPlain(err, started);
    }
    const greeting = await this.driver.greet(wire, line, false, started);
    if (greeting === undefined) {
      return undefined;
    }
    const modeStarted = Date.now();
    let capabilities: string[];
    try {
      capabilities = await this.driver.plainCapabilities(wire, greeting);
    } catch (err) {
      this.ctx.rec.failed(this.id('mode'), modeStarted, err);
      return undefined;
    }

    if (security === 'none') {
      const local = LOOPBACK.test(this.address) || LOOPBACK.test(this.endpoint.host);
      this.ctx.rec.record(this.id('mode'), modeStarted, {
        status: local ? 'pass' : 'warn',
        summary: local ? 'No encryption was asked for; acceptable only because the server is on this computer.' : 'No encryption: the password and every message cross the network readable by anyone on the way.',
        details: [capabilities.includes('STARTTLS') ? 'The server offers STARTTLS: use it.' : 'The server does not offer STARTTLS on this port either.', ...(this.driver.notesBeforeTls?.(capabilities) ?? [])],
        ...(local ? {} : { fix: `Use STARTTLS (${this.url.starttls}:${port}) or TLS (${this.url.tls}:${this.info.tlsPort}).` }),
      });
      this.ctx.rec.skip(this.id('tls'), 'No TLS was asked for.');
      return { wire, greeting, encrypted: false, upgraded: false, capabilitiesBeforeTls: capabilities, passwordAllowed: true };
    }

    const before = [`Before TLS: ${capabilities.join(' ')}`, ...(this.driver.notesBeforeTls?.(capabilities) ?? [])];
    const stop = (code: MailErrorCode, summary: string, fix: string): undefined => {
      this.ctx.rec.record(this.id('mode'), modeStarted, { status: 'fail', code, summary, details: before, fix });
      return undefined;
    };
    if (!capabilities.includes('STARTTLS')) {
      return stop(
        'STARTTLS_UNAVAILABLE',
        `The server does not offer STARTTLS on port ${port}. Going on would send the password in clear text, so the check stops here, as the app does.`,
        `Use TLS on port ${this.info.tlsPort} (${this.url.tls}:${this.info.tlsPort}) if the server has it, or enable TLS on the server${this.info.name === 'IMAP' ? ' (Dovecot: ssl = yes with a certificate)' : ''}.`,
      );
    }
    let refusal: string | undefined;
    try {
      refusal = await this.driver.startTls(wire);
    } catch (err) {
      this.ctx.rec.failed(this.id('mode'), modeStarted, err);
      return undefined;
    }
    if (refusal !== undefined) {
      return stop('STARTTLS_UNAVAILABLE', `The server offers STARTTLS but refused it: "${refusal}". The check stops before any password is sent.`, 'Check the TLS configuration of the server (certificate and key files); its log says why STARTTLS failed.');
    }
    const { stream, discarded } = wire.detach();
    this.ctx.transcript.note(protocol, `TLS handshake (STARTTLS)${discarded ? `; ${discarded} bytes the server sent before the handshake were discarded` : ''}`);
    if (!modeDecided) {
      this.ctx.rec.record(this.id('mode'), modeStarted, {
        status: 'pass',
        summary: `STARTTLS is offered and accepted on port ${port}.`,
        details: [...before, ...(discarded ? [`${discarded} bytes that arrived between the STARTTLS answer and the handshake were discarded: they could have been injected.`] : [])],
      });
    }
    const tlsStarted = Date.now();
    let tls: { socket: TLSSocket; ms: number };
    try {
      tls = await tlsHandshake(this.ctx, stream, this.endpoint.host);
    } catch (err) {
      recordTlsFailure(this.ctx, protocol, toMailError(err), tlsStarted);
      return undefined;
    }
    const { report, judgement } = recordTlsStep(this.ctx, protocol, tls.socket, this.endpoint.host, tls.ms, tlsStarted);
    this.report.tls = report;
    const secure = new LineWire(this.track(tls.socket), this.ctx.transcript, protocol);
    return { wire: secure, greeting, encrypted: true, upgraded: true, capabilitiesBeforeTls: capabilities, passwordAllowed: judgement.acceptable };
  }

  /** No greeting on a port called STARTTLS: find out whether TLS or something else is there. */
  private async silentOnPlain(err: unknown, started: number): Promise<OpenSession<G> | undefined> {
    const { port } = this.endpoint;
    const socket = await this.reconnect();
    const attempt = socket ? await implicitTls(this.ctx, this.info.protocol, socket, this.endpoint.host) : undefined;
    if (attempt?.ok) {
      this.report.detectedSecurity = 'tls';
      this.ctx.rec.record(this.id('mode'), started, {
        status: 'fail',
        code: 'TLS_UNEXPECTED',
        summary: `Port ${port} speaks TLS from the first byte (implicit TLS, like port ${this.info.tlsPort}): it waits for a TLS handshake, so a STARTTLS client hears no greeting.`,
        details: ['The remaining checks use TLS on this port, the way it is meant to be used.'],
        fix: `Set the security to TLS for port ${port} (${this.url.tls}:${port}), or use port ${this.info.starttlsPort} for STARTTLS.`,
      });
      return this.afterImplicitTls(attempt, Date.now() - attempt.ms);
    }
    if (attempt?.speaker && attempt.speaker.kind !== 'tls' && attempt.speaker.kind !== this.info.protocol) {
      return this.wrongProtocol(attempt.speaker, started);
    }
    this.ctx.rec.failed(this.id('greeting'), started, err, `Port ${port} accepts connections but says nothing, in clear text or in TLS: check that it is the ${this.info.name} port and that the server is not overloaded.`);
    return undefined;
  }
}
