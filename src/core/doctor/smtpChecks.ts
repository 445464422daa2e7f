// The SMTP submission half of the doctor: the same mode and TLS checks as IMAP, then EHLO (again
// after STARTTLS, RFC 3207 4.2), the AUTH mechanisms and an optional login. It never sends mail:
// the conversation ends with QUIT right after AUTH.
import { MailError } from '../errors';
import { greetingRefusalAdvice, OAUTH_REQUIRED, offersOnlyOAuth, SLOW_GREETING_MS, slowGreetingAdvice, smtpLoginAdvice } from './advice';
import { PASSWORD_MECHANISMS } from './capabilities';
import { Channel, type Driver, SMTP_INFO } from './channel';
import { decodeSaslFailure } from '../auth/saslError';
import { oauthInitialResponse } from './oauthChecks';
import { type CheckContext, SMTP_STEPS } from './steps';
import { connectStep, identifySpeaker, resolveStep, SPEAKER_NAME } from './transport';
import { APP_GREETING_TIMEOUT_MS, type Endpoint, type SmtpReport } from './types';
import { type LineWire } from './wire';

export function emptySmtpReport(endpoint: Endpoint): SmtpReport {
  return { endpoint, address: null, addresses: [], detectedSecurity: null, greeting: null, serverId: null, tls: null, extensions: [], authMechanisms: [] };
}

interface SmtpReply {
  code: number;
  lines: string[];
  ms: number;
}

const EXTENSION_MEANINGS: Record<string, string> = {
  STARTTLS: 'can switch to TLS (RFC 3207)',
  AUTH: 'accepts a login (RFC 4954)',
  SIZE: 'announces its message size limit (RFC 1870)',
  PIPELINING: 'takes several commands at once (RFC 2920)',
  '8BITMIME': 'takes 8-bit message bodies (RFC 6152)',
  SMTPUTF8: 'takes international addresses (RFC 6531)',
  CHUNKING: 'takes messages in chunks (RFC 3030)',
  DSN: 'can send delivery status notifications (RFC 3461)',
  ENHANCEDSTATUSCODES: 'explains errors with x.y.z codes (RFC 2034)',
  REQUIRETLS: 'can require TLS for the whole delivery (RFC 8689)',
};

async function readReply(wire: LineWire, timeoutMs: number, what: string, shown?: (line: string) => string | undefined): Promise<SmtpReply> {
  const started = Date.now();
  const lines: string[] = [];
  for (;;) {
    const line = await wire.readLine(Math.max(1, timeoutMs - (Date.now() - started)), what, shown ? { show: shown } : {});
    const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!match) {
      throw new MailError('WRONG_PROTOCOL', `The server answered with something that is not SMTP: "${line.slice(0, 120)}"`);
    }
    lines.push(match[3]);
    if (match[2] !== '-') {
      return { code: Number(match[1]), lines, ms: Date.now() - started };
    }
  }
}

class SmtpCheck implements Driver<SmtpReply> {
  readonly info = SMTP_INFO;
  /** A 421 the server sent before closing (RFC 5321 3.8). */
  private closing: string | undefined;
  private channel: Channel<SmtpReply> | undefined;

  constructor(
    private readonly ctx: CheckContext,
    private readonly endpoint: Endpoint,
    private readonly report: SmtpReport,
    private readonly password: string | undefined,
    /** An OAuth 2.0 access token: AUTH XOAUTH2 instead of a password. */
    private readonly token?: string,
  ) {}

  private async command(wire: LineWire, line: string, shown?: string, timeoutMs = this.ctx.timeouts.command): Promise<SmtpReply> {
    wire.write(line, shown);
    return readReply(wire, timeoutMs, `the answer to ${line.split(' ')[0]}`);
  }

  private helloName(wire: LineWire): string {
    // RFC 5321 4.1.3: an address literal when we have no name of our own
    const local = (wire.stream as { localAddress?: string }).localAddress ?? '127.0.0.1';
    return local.includes(':') ? `[IPv6:${local}]` : `[${local}]`;
  }

  private async ehlo(wire: LineWire): Promise<string[]> {
    const reply = await this.command(wire, `EHLO ${this.helloName(wire)}`);
    if (reply.code === 421) {
      this.closing = `${reply.code} ${reply.lines.join(' ')}`;
      throw new MailError('DISCONNECTED', `The server closed the session: ${this.closing}`);
    }
    if (reply.code !== 250) {
      throw new MailError('SERVER_NO', `The server refused EHLO: ${reply.code} ${reply.lines.join(' ')}`);
    }
    return reply.lines.slice(1);
  }

  async greet(wire: LineWire, line: string, encrypted: boolean, started: number): Promise<SmtpReply | undefined> {
    const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!match) {
      const speaker = identifySpeaker(Buffer.from(line, 'utf8'));
      const known = speaker && speaker.kind !== 'unknown' && speaker.kind !== 'smtp' && speaker.kind !== 'tls';
      this.ctx.rec.record('smtp.greeting', started, {
        status: 'fail',
        code: 'WRONG_PROTOCOL',
        summary: known
          ? `${SPEAKER_NAME[speaker.kind].replace(/^./, (c) => c.toUpperCase())} answers on port ${this.endpoint.port}, not an SMTP server: "${line.slice(0, 200)}".`
          : `Unexpected answer: the server's first line is not an SMTP greeting: "${line.slice(0, 200)}".`,
        fix: `Check the port: SMTP submission uses 465 (TLS) or 587 (STARTTLS).${speaker?.kind === 'imap' ? ' This one is an IMAP server (reading mail).' : ''}`,
      });
      return undefined;
    }
    let reply: SmtpReply = { code: Number(match[1]), lines: [match[3]], ms: 0 };
    if (match[2] === '-') {
      const rest = await readReply(wire, this.ctx.timeouts.greeting, 'the rest of its greeting');
      reply = { code: reply.code, lines: [...reply.lines, ...rest.lines], ms: rest.ms };
    }
    this.report.greeting = `${reply.code} ${reply.lines.join(' ')}`;
    this.report.serverId = { host: reply.lines[0].split(' ')[0] };
    if (reply.code !== 220) {
      const advice = greetingRefusalAdvice(this.report.greeting, reply.lines.join(' '), reply.code !== 421, this.report.address);
      this.ctx.rec.record('smtp.greeting', started, { status: 'fail', code: advice.code, summary: advice.summary, fix: advice.fix });
      return undefined;
    }
    const ms = Date.now() - started;
    const slow = ms > SLOW_GREETING_MS ? slowGreetingAdvice(ms, APP_GREETING_TIMEOUT_MS) : undefined;
    this.ctx.rec.record('smtp.greeting', started, {
      status: slow ? 'warn' : 'pass',
      summary: `${slow ? `${slow.summary} ` : ''}The server greeted${encrypted ? '' : ' in clear text, before TLS'}: "${this.report.greeting}"`,
      ...(slow ? { fix: slow.fix } : {}),
    });
    return reply;
  }

  async plainCapabilities(wire: LineWire): Promise<string[]> {
    return (await this.ehlo(wire)).map((e) => e.toUpperCase());
  }

  async startTls(wire: LineWire): Promise<string | undefined> {
    const reply = await this.command(wire, 'STARTTLS');
    return reply.code === 220 ? undefined : `${reply.code} ${reply.lines.join(' ')}`;
  }

  async upgrade(wire: LineWire): Promise<string | undefined> {
    const greeting = await readReply(wire, this.ctx.timeouts.greeting, 'its greeting');
    if (greeting.code !== 220) {
      return `${greeting.code} ${greeting.lines.join(' ')}`;
    }
    await this.ehlo(wire);
    return this.startTls(wire);
  }

  lastBye(): string | undefined {
    return this.closing;
  }

  notesBeforeTls(capabilities: string[]): string[] {
    const auth = capabilities.find((c) => /^AUTH[ =]/.test(c));
    return [auth ? `Login offered before TLS (${auth}): a client could send its password unencrypted.` : 'No login offered before TLS, as it should be.'];
  }

  async run(): Promise<void> {
    let channel: Channel<SmtpReply> | undefined;
    try {
      const addresses = await resolveStep(this.ctx, 'smtp', this.endpoint.host);
      if (!addresses) {
        return;
      }
      const tcp = await connectStep(this.ctx, 'smtp', addresses, this.endpoint.port, this.endpoint.security, this.endpoint.host, this.report);
      if (!tcp) {
        return;
      }
      channel = new Channel(this.ctx, this, this.endpoint, tcp.address, this.report);
      this.channel = channel;
      const session = await channel.open(tcp.socket);
      if (!session) {
        return;
      }
      const extensions = await this.ehloStep(session.wire, session.upgraded, session.encrypted ? undefined : session.capabilitiesBeforeTls);
      if (extensions) {
        await this.loginStep(session.wire, session.encrypted, session.passwordAllowed);
        try {
          await this.command(session.wire, 'QUIT', undefined, Math.min(2000, this.ctx.timeouts.command));
        } catch {
          // the server may hang up first
        }
      }
    } finally {
      this.ctx.rec.skipRest(SMTP_STEPS);
      channel?.close();
    }
  }

  private async ehloStep(wire: LineWire, upgraded: boolean, known: string[] | undefined): Promise<string[] | undefined> {
    const started = Date.now();
    let extensions: string[];
    try {
      extensions = known ?? (await this.plainCapabilities(wire));
    } catch (err) {
      if (!this.channel?.tlsAlert(err)) {
        this.ctx.rec.failed('smtp.ehlo', started, err);
      }
      return undefined;
    }
    this.report.extensions = extensions;
    const auth = extensions.find((e) => /^AUTH[ =]/.test(e));
    this.report.authMechanisms = auth ? auth.slice(5).trim().split(/\s+/).filter(Boolean) : [];
    const size = extensions.find((e) => e.startsWith('SIZE'))?.split(' ')[1];
    const details = extensions.map((e) => {
      const keyword = e.split(/[ =]/)[0];
      return `${e}${EXTENSION_MEANINGS[keyword] ? `: ${EXTENSION_MEANINGS[keyword]}` : ''}`;
    });
    if (upgraded) {
      details.push('Sent EHLO again after STARTTLS; the answer from before TLS was discarded (RFC 3207 4.2).');
    }
    const mechanisms = this.report.authMechanisms;
    this.ctx.rec.record('smtp.ehlo', started, {
      status: mechanisms.length ? 'pass' : 'warn',
      summary: `${extensions.length} extensions; login by ${mechanisms.join(', ') || 'nothing (no AUTH)'}${size && Number(size) > 0 ? `; messages up to ${Math.round(Number(size) / 1048576)} MB` : ''}.`,
      details,
      ...(mechanisms.length ? {} : { fix: 'Without AUTH this is not a submission server for your account (port 25 only relays between servers). Use the provider\'s submission port, 587 or 465.' }),
    });
    return extensions;
  }

  private async loginStep(wire: LineWire, encrypted: boolean, passwordAllowed: boolean): Promise<void> {
    const started = Date.now();
    const user = this.endpoint.user;
    const mechanisms = this.report.authMechanisms;
    if (this.token && user && passwordAllowed) {
      await this.tokenLogin(wire, user, started);
      return;
    }
    if (!this.password) {
      this.ctx.rec.skip('smtp.login', 'No password was given (SMTP_PASSWORD or IMAP_PASSWORD): login was not checked.');
      return;
    }
    if (!user) {
      this.ctx.rec.skip('smtp.login', 'No user name was given (smtp://user@host): login was not checked.');
      return;
    }
    if (!passwordAllowed) {
      this.ctx.rec.skip('smtp.login', 'The password was not sent: the TLS checks above failed, and the app would not log in over this connection either.');
      return;
    }
    if (!mechanisms.some((m) => PASSWORD_MECHANISMS.includes(m))) {
      const advice = offersOnlyOAuth(mechanisms) ? OAUTH_REQUIRED : { code: 'LOGIN_DISABLED' as const, summary: `The server offers no password login${mechanisms.length ? ` (only ${mechanisms.join(', ')})` : ''}.`, fix: encrypted ? 'Use the provider\'s submission port (587 or 465).' : 'Use STARTTLS or TLS: many servers offer AUTH only on encrypted connections.' };
      this.ctx.rec.record('smtp.login', started, { status: 'fail', code: advice.code, summary: advice.summary, fix: advice.fix });
      return;
    }
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    let reply: SmtpReply;
    let how: string;
    try {
      if (mechanisms.includes('PLAIN')) {
        how = 'AUTH PLAIN';
        reply = await this.command(wire, `AUTH PLAIN ${b64(`\u0000${user}\u0000${this.password}`)}`, 'AUTH PLAIN (redacted)');
      } else {
        how = 'AUTH LOGIN';
        reply = await this.command(wire, 'AUTH LOGIN');
        if (reply.code === 334) {
          reply = await this.command(wire, b64(user), '(user name, base64)');
        }
        if (reply.code === 334) {
          reply = await this.command(wire, b64(this.password), '(redacted)');
        }
      }
    } catch (err) {
      this.ctx.rec.failed('smtp.login', started, err);
      return;
    }
    if (reply.code === 235) {
      this.ctx.rec.record('smtp.login', started, { status: 'pass', summary: `Logged in as ${user} (${how}) in ${Date.now() - started} ms. No mail was sent.` });
      return;
    }
    const advice = smtpLoginAdvice(reply.code, reply.lines.join(' '), mechanisms, encrypted);
    this.ctx.rec.record('smtp.login', started, { status: 'fail', code: advice.code, summary: advice.summary, fix: advice.fix, details: [`${how} answered ${reply.code} ${reply.lines.join(' ')}`] });
  }

  /** AUTH XOAUTH2 (what nodemailer sends for OAuth2); a 334 with the server's JSON error is answered with an empty line. */
  private async tokenLogin(wire: LineWire, user: string, started: number): Promise<void> {
    const mechanisms = this.report.authMechanisms;
    if (!mechanisms.includes('XOAUTH2')) {
      this.ctx.rec.record('smtp.login', started, { status: 'fail', code: 'TOKEN_REJECTED', summary: `The server offers no XOAUTH2 login (only ${mechanisms.join(', ') || 'nothing'}): the token cannot be used for sending.`, fix: 'Use a password for SMTP (Edit Account: SMTP with its own login), or ask the administrator to enable XOAUTH2 on submission.' });
      return;
    }
    let reply: SmtpReply;
    let errorJson: unknown;
    try {
      reply = await this.command(wire, `AUTH XOAUTH2 ${oauthInitialResponse('XOAUTH2', user, this.token ?? '', this.endpoint.host, this.endpoint.port)}`, 'AUTH XOAUTH2 (redacted)');
      if (reply.code === 334) {
        try {
          errorJson = JSON.parse(Buffer.from(reply.lines.join(''), 'base64').toString('utf8'));
        } catch {
          errorJson = undefined;
        }
        reply = await this.command(wire, '', '(empty: ends the exchange after the error)');
      }
    } catch (err) {
      this.ctx.rec.failed('smtp.login', started, err);
      return;
    }
    if (reply.code === 235) {
      this.ctx.rec.record('smtp.login', started, { status: 'pass', summary: `Logged in as ${user} with the OAuth 2.0 token (AUTH XOAUTH2) in ${Date.now() - started} ms. No mail was sent.` });
      return;
    }
    const sasl = decodeSaslFailure({ json: errorJson, serverText: reply.lines.join(' '), user });
    this.ctx.rec.record('smtp.login', started, { status: 'fail', code: 'TOKEN_REJECTED', summary: `The SMTP server did not accept the token (${reply.code} ${reply.lines.join(' ')}).`, fix: sasl.advice, details: errorJson !== undefined ? [`Server's SASL error: ${JSON.stringify(errorJson)}`] : [] });
  }
}

/** Runs the SMTP submission steps against one server; `token` logs in with AUTH XOAUTH2 instead of the password. */
export async function checkSmtp(ctx: CheckContext, endpoint: Endpoint, password: string | undefined, report: SmtpReport, token?: string): Promise<void> {
  await new SmtpCheck(ctx, endpoint, report, password, token).run();
}
