// Opening an IMAP or SMTP connection the way the user asked (TLS from the first byte, STARTTLS, or
// none) and finding out when the port speaks something else: plain text on a TLS port, TLS on a
// STARTTLS port, or another protocol altogether. A mismatch fails the mode step, and the rest of
// the diagnosis goes on in the mode the port really speaks, so one run shows everything.
import { type Socket } from 'node:net';
import { type Duplex } from 'node:stream';
import { type ConnectionOptions } from 'node:tls';
import { toMailError } from '../errors';
import { type Advice, hangupAdvice, missingStarttlsAdvice, starttlsRefusedAdvice, tlsHandshakeAdvice } from './advice';
import { nodeVerdictOf, type Reverify } from './certificate';
import { type CheckContext, stepId } from './steps';
import { implicitTls, outdatedTlsProbe, recordTlsFailure, recordTlsStep, SPEAKER_NAME, type Speaker, tlsHandshake, type TlsAttempt, type TlsHandshake } from './transport';
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
  /**
   * On a fresh connection: reads the greeting and asks for STARTTLS, sharing no state with the
   * main conversation (a second handshake with other TLS options). Undefined when it agreed.
   */
  upgrade(wire: LineWire): Promise<string | undefined>;
  /** Remarks on the capabilities before TLS, for the mode step (LOGINDISABLED, say). */
  notesBeforeTls?(capabilities: string[]): string[];
  /** The last "* BYE" (or 421) line the server sent, to quote when it hangs up. */
  lastBye?(): string | undefined;
}

export interface OpenSession<G> {
  wire: LineWire;
  greeting: G;
  encrypted: boolean;
  /** STARTTLS was used: what was learned before TLS is void. */
  upgraded: boolean;
  /** When the greeting was read (Date.now()), to tell a hang-up right after it. */
  greetedAt: number;
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
  /** Whether TLS on this port starts with STARTTLS (as asked, or as found). */
  private starttls = false;

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

  /**
   * A second handshake with other TLS options (the pinned ones) on a fresh connection to the same
   * address and in the same mode, for Node's verdict on exactly those options.
   */
  private readonly reverify: Reverify = async (options: ConnectionOptions) => {
    const socket = await this.reconnect();
    if (!socket) {
      return undefined;
    }
    this.ctx.transcript.note(this.info.protocol, 'a second handshake, with the pinned certificate as the only trust anchor, as the account would connect');
    try {
      let stream: Socket = socket;
      if (this.starttls) {
        const wire = new LineWire(socket, this.ctx.transcript, this.info.protocol);
        if ((await this.driver.upgrade(wire)) !== undefined) {
          return undefined;
        }
        stream = wire.detach().stream as Socket;
      }
      const handshake = await tlsHandshake(this.ctx, stream, this.endpoint.host, false, options);
      this.track(handshake.socket);
      const verdict = nodeVerdictOf(handshake.socket);
      const sha256 = handshake.socket.getPeerCertificate().fingerprint256;
      handshake.socket.destroy();
      return { ...verdict, sha256 };
    } catch {
      return undefined;
    } finally {
      socket.destroy();
    }
  };

  private tlsStep(handshake: TlsHandshake, started: number) {
    return recordTlsStep(this.ctx, this.info.protocol, handshake, this.endpoint.host, started, this.reverify);
  }

  /**
   * The server hung up right after greeting, while the first command waited for its answer: that
   * is the finding, so the greeting step says it, and the step that was waiting is not blamed.
   */
  hungUp(err: unknown, greetedAt: number, what: string, waitingStep: 'mode' | 'capability', bye?: string): boolean {
    const error = toMailError(err);
    if (error.code !== 'DISCONNECTED') {
      return false;
    }
    const advice = hangupAdvice(what, Date.now() - greetedAt, bye);
    this.ctx.rec.amend(this.id('greeting'), { status: 'fail', code: advice.code, summary: advice.summary, fix: advice.fix });
    this.ctx.rec.skip(stepId(this.info.protocol, waitingStep), 'Not checked: the server hung up right after its greeting.');
    return true;
  }

  /**
   * Under TLS 1.3 the server judges the client after the client's handshake is done: a server that
   * wants a client certificate, or rejects the connection, says so with an alert on the first read.
   * That alert is the TLS step's finding, not the step that happened to be reading.
   */
  tlsAlert(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code;
    if (typeof code !== 'string' || !/^ERR_SSL_/.test(code)) {
      return false;
    }
    const advice = tlsHandshakeAdvice((err as { cause?: unknown }).cause ?? err, this.endpoint.host);
    this.ctx.rec.amend(this.id('tls'), { status: 'fail', code: advice.code, summary: `${advice.summary} It said so right after the handshake, as TLS 1.3 servers do.`, fix: advice.fix });
    return true;
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
      recordTlsFailure(this.ctx, this.info.protocol, attempt.error, started, this.endpoint.host);
      return undefined;
    }
    if (speaker?.kind === 'tls') {
      this.ctx.rec.record(this.id('mode'), started, { status: 'pass', summary: `Port ${port} answers in TLS.` });
      recordTlsFailure(this.ctx, this.info.protocol, attempt.error, started, this.endpoint.host);
      return undefined;
    }
    this.ctx.rec.record(this.id('mode'), started, {
      status: 'fail',
      code: attempt.error.code,
      summary:
        attempt.error.code === 'TIMEOUT'
          ? `Port ${port} accepted the connection but sent nothing within ${this.ctx.timeouts.tls} ms, neither a TLS answer nor a greeting: a STARTTLS port would have greeted at once, so the service there waits for its client to speak (it is not ${this.info.name}), or the server is stuck.`
          : `Port ${port} closed the connection during the TLS handshake without a word (${attempt.error.message}).`,
      fix:
        attempt.error.code === 'TIMEOUT'
          ? `Check that port ${port} is the server's ${this.info.name} TLS port (usually ${this.info.tlsPort}); if it is, the server is not answering: its log says why.`
          : `Two causes fit: the server cannot load its certificate (its log says so), or something on the way cuts TLS. Check the server log; if it shows nothing from this address, try another network or STARTTLS (${this.url.starttls}:${this.info.starttlsPort}).`,
    });
    return undefined;
  }

  private async afterImplicitTls(attempt: Extract<TlsAttempt, { ok: true }>, started: number): Promise<OpenSession<G> | undefined> {
    this.starttls = false;
    const { report, judgement } = await this.tlsStep(attempt, started);
    this.report.tls = report;
    const wire = new LineWire(this.track(attempt.socket), this.ctx.transcript, this.info.protocol);
    const greetStarted = Date.now();
    let line: string;
    try {
      line = await wire.readLine(this.ctx.timeouts.greeting, 'its greeting');
    } catch (err) {
      if (!this.tlsAlert(err)) {
        this.ctx.rec.failed(this.id('greeting'), greetStarted, err, `The port speaks TLS but no ${this.info.name} greeting followed: check that port ${this.endpoint.port} is the ${this.info.name} port (a web server on HTTPS also waits silently).`);
      }
      return undefined;
    }
    const greeting = await this.driver.greet(wire, line, true, greetStarted);
    return greeting === undefined ? undefined : { wire, greeting, encrypted: true, upgraded: false, greetedAt: Date.now(), capabilitiesBeforeTls: [], passwordAllowed: judgement.acceptable };
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
    const greetedAt = Date.now();
    const modeStarted = Date.now();
    let capabilities: string[];
    try {
      capabilities = await this.driver.plainCapabilities(wire, greeting);
    } catch (err) {
      if (!this.hungUp(err, greetedAt, this.info.name === 'IMAP' ? 'CAPABILITY' : 'EHLO', 'mode', this.driver.lastBye?.())) {
        this.ctx.rec.failed(this.id('mode'), modeStarted, err);
      }
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
      return { wire, greeting, encrypted: false, upgraded: false, greetedAt, capabilitiesBeforeTls: capabilities, passwordAllowed: true };
    }

    const before = [`Before TLS: ${capabilities.join(' ')}`, ...(this.driver.notesBeforeTls?.(capabilities) ?? [])];
    const stop = (advice: Advice): undefined => {
      this.ctx.rec.record(this.id('mode'), modeStarted, { status: 'fail', code: advice.code, summary: advice.summary, details: before, fix: advice.fix });
      return undefined;
    };
    if (!capabilities.includes('STARTTLS')) {
      return stop(missingStarttlsAdvice(capabilities, port, `${this.url.tls}:${this.info.tlsPort}`, this.info.name));
    }
    let refusal: string | undefined;
    try {
      refusal = await this.driver.startTls(wire);
    } catch (err) {
      if (!this.hungUp(err, greetedAt, 'STARTTLS', 'mode', this.driver.lastBye?.())) {
        this.ctx.rec.failed(this.id('mode'), modeStarted, err);
      }
      return undefined;
    }
    if (refusal !== undefined) {
      return stop(starttlsRefusedAdvice(refusal));
    }
    this.starttls = true;
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
    let tls: TlsHandshake;
    try {
      tls = await tlsHandshake(this.ctx, stream as Socket, this.endpoint.host);
    } catch (err) {
      recordTlsFailure(this.ctx, protocol, toMailError(err), tlsStarted, this.endpoint.host);
      return undefined;
    }
    const { report, judgement } = await this.tlsStep(tls, tlsStarted);
    this.report.tls = report;
    const secure = new LineWire(this.track(tls.socket), this.ctx.transcript, protocol);
    return { wire: secure, greeting, encrypted: true, upgraded: true, greetedAt, capabilitiesBeforeTls: capabilities, passwordAllowed: judgement.acceptable };
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
    const error = toMailError(err);
    this.ctx.rec.record(this.id('greeting'), started, {
      status: 'fail',
      code: error.code,
      summary:
        error.code === 'TIMEOUT'
          ? `Port ${port} accepts connections but says nothing within ${this.ctx.timeouts.greeting} ms, in clear text or in TLS.`
          : `Port ${port} accepts connections but closes them without a word, in clear text and in TLS (${error.message}).`,
      fix:
        error.code === 'TIMEOUT'
          ? `Two causes fit: the port runs a service that waits for its client to speak (not ${this.info.name}: check the port, ${this.info.starttlsPort} for STARTTLS or ${this.info.tlsPort} for TLS), or the server greets only after a long delay (overloaded, or its reverse DNS lookup of this address hangs). Connect by hand (openssl s_client below, or telnet) and wait a minute: a slow server greets eventually.`
          : `The server refuses this client at once: it is overloaded, limits connections, or blocks this address; its log says which.`,
    });
    return undefined;
  }
}
