// The IMAP half of the doctor, on a raw socket so that every byte can be seen: the security mode
// the port really speaks, TLS, the greeting and capabilities (fetched again after STARTTLS), the
// login, then what the account looks like. The password is sent only over a connection the app
// itself would accept, and never where the server or the check says it must not go.
import { greetingRefusalAdvice, imapLoginAdvice, LOGIN_DISABLED_PLAIN, missingStarttlsAdvice, OAUTH_REQUIRED, offersOnlyOAuth, SLOW_GREETING_MS, slowGreetingAdvice } from './advice';
import { type TokenClaims } from '../auth/claims';
import { authMechanisms } from './capabilities';
import { oauthLogin, type OAuthLoginResult, saslStep, tokenRefusal } from './oauthChecks';
import { extensionsStep, mailboxesStep, roundTripStep } from './imapAccount';
import { capabilitiesOf, ImapConversation, type ImapReply } from './imapConversation';
import { loginCommand, parseCapabilities, parseId, responseCode } from './imapSyntax';
import { Channel, type Driver, IMAP_INFO } from './channel';
import { type CheckContext, IMAP_STEPS, type StepOutcome } from './steps';
import { connectStep, identifySpeaker, resolveStep, SPEAKER_NAME } from './transport';
import { APP_GREETING_TIMEOUT_MS, type Endpoint, type ImapReport } from './types';
import { type LineWire } from './wire';

export function emptyImapReport(endpoint: Endpoint): ImapReport {
  return {
    endpoint,
    address: null,
    addresses: [],
    detectedSecurity: null,
    greeting: null,
    serverId: null,
    tls: null,
    capabilitiesBeforeLogin: [],
    capabilitiesBeforeTls: [],
    authMechanisms: [],
    capabilitiesAfterLogin: [],
    mailboxes: null,
    roundTrip: null,
  };
}

/** An IMAP connection ready for the steps after TLS. */
interface Opened {
  conversation: ImapConversation;
  capabilities: string[];
  /** Whether the capabilities are current for this session, or must be asked again (after STARTTLS). */
  capabilitiesCurrent: boolean;
  encrypted: boolean;
  /** False when the TLS checks failed: the password stays home. */
  passwordAllowed: boolean;
  greetedAt: number;
}

interface ImapGreeting {
  capabilities: string[];
}

class ImapCheck implements Driver<ImapGreeting> {
  readonly info = IMAP_INFO;
  private conversation: ImapConversation | undefined;
  private channel: Channel<ImapGreeting> | undefined;

  constructor(
    private readonly ctx: CheckContext,
    private readonly endpoint: Endpoint,
    private readonly report: ImapReport,
    private readonly password: string | undefined,
    /** An OAuth 2.0 access token: the login uses it instead of a password. */
    private readonly token?: string,
    private readonly claims?: TokenClaims,
  ) {}

  private on(wire: LineWire): ImapConversation {
    if (this.conversation) {
      this.conversation.attach(wire);
    } else {
      this.conversation = new ImapConversation(wire, this.ctx.timeouts.command);
    }
    return this.conversation;
  }

  async run(): Promise<void> {
    let channel: Channel<ImapGreeting> | undefined;
    try {
      const addresses = await resolveStep(this.ctx, 'imap', this.endpoint.host);
      if (!addresses) {
        return;
      }
      const tcp = await connectStep(this.ctx, 'imap', addresses, this.endpoint.port, this.endpoint.security, this.endpoint.host, this.report);
      if (!tcp) {
        return;
      }
      channel = new Channel(this.ctx, this, this.endpoint, tcp.address, this.report);
      this.channel = channel;
      const session = await channel.open(tcp.socket);
      if (session) {
        await this.afterConnect({
          conversation: this.on(session.wire),
          capabilities: session.upgraded ? [] : session.greeting.capabilities.length ? session.greeting.capabilities : session.capabilitiesBeforeTls,
          capabilitiesCurrent: !session.upgraded && (session.greeting.capabilities.length > 0 || session.capabilitiesBeforeTls.length > 0),
          encrypted: session.encrypted,
          passwordAllowed: session.passwordAllowed,
          greetedAt: session.greetedAt,
        });
      }
    } finally {
      this.ctx.rec.skipRest(IMAP_STEPS);
      channel?.close();
    }
  }

  private record(id: (typeof IMAP_STEPS)[number], started: number, outcome: StepOutcome): void {
    this.ctx.rec.record(id, started, outcome);
  }

  async greet(_wire: LineWire, line: string, encrypted: boolean, started: number): Promise<ImapGreeting | undefined> {
    this.report.greeting = line;
    const port = this.endpoint.port;
    const match = /^\* (OK|PREAUTH|BYE|NO|BAD)\b ?(.*)$/i.exec(line);
    if (!match) {
      const speaker = identifySpeaker(Buffer.from(line, 'utf8'));
      const known = speaker && speaker.kind !== 'unknown' && speaker.kind !== 'imap' && speaker.kind !== 'tls';
      this.record('imap.greeting', started, {
        status: 'fail',
        code: 'WRONG_PROTOCOL',
        summary: known
          ? `${SPEAKER_NAME[speaker.kind].replace(/^./, (c) => c.toUpperCase())} answers on port ${port}, not an IMAP server: "${line.slice(0, 200)}".`
          : `Unexpected answer: the server's first line is not an IMAP greeting: "${line.slice(0, 200)}".`,
        fix: known
          ? `Check the port: IMAP uses 993 (TLS) or 143 (STARTTLS).${speaker.kind === 'smtp' ? ' This one is an SMTP server (sending mail).' : ''}`
          : `Check that port ${port} is the server's IMAP port (993 for TLS, 143 for STARTTLS): such bytes come from another kind of service, or a proxy in front of it that is not set up for IMAP.`,
      });
      return undefined;
    }
    const kind = match[1].toUpperCase();
    const parsed = responseCode(match[2]);
    const capabilities = parsed.code === 'CAPABILITY' && parsed.args ? parseCapabilities(parsed.args) : [];
    if (kind === 'BYE' || kind === 'NO' || kind === 'BAD') {
      // "* NO" is no greeting RFC 3501 knows, but servers use it to turn an address away with a reason
      const advice = greetingRefusalAdvice(line, parsed.text || match[2], kind !== 'BYE', this.report.address);
      this.record('imap.greeting', started, { status: 'fail', code: advice.code, summary: advice.summary, fix: advice.fix, details: [`Greeting: ${line}`] });
      return undefined;
    }
    if (kind === 'PREAUTH' && !encrypted) {
      // RFC 3501 6.2.1: STARTTLS is only possible before authentication; a PREAUTH in clear text
      // is how STARTTLS-stripping attacks work
      this.record('imap.greeting', started, {
        status: 'fail',
        code: 'STARTTLS_UNAVAILABLE',
        summary: 'The server logged the connection in before TLS (PREAUTH): STARTTLS is no longer possible and everything would travel in clear text.',
        fix: 'Use TLS on port 993; on the server, do not pre-authenticate unencrypted connections.',
      });
      return undefined;
    }
    const ms = Date.now() - started;
    const slow = ms > SLOW_GREETING_MS ? slowGreetingAdvice(ms, APP_GREETING_TIMEOUT_MS) : undefined;
    this.record('imap.greeting', started, {
      status: slow ? 'warn' : 'pass',
      summary: `${slow ? `${slow.summary} ` : ''}The server greeted${encrypted ? '' : ' in clear text, before TLS'}: "${parsed.text || line}"`,
      details: capabilities.length ? [`Capabilities in the greeting: ${capabilities.join(' ')}`] : [],
      ...(slow ? { fix: slow.fix } : {}),
    });
    return { capabilities };
  }

  async plainCapabilities(wire: LineWire, greeting: ImapGreeting): Promise<string[]> {
    const capabilities = greeting.capabilities.length ? greeting.capabilities : capabilitiesOf(await this.on(wire).command('CAPABILITY'));
    this.report.capabilitiesBeforeTls = capabilities;
    return capabilities;
  }

  async startTls(wire: LineWire): Promise<string | undefined> {
    const reply = await this.on(wire).command('STARTTLS');
    return reply.status === 'OK' ? undefined : `${reply.status} ${reply.text}`;
  }

  async upgrade(wire: LineWire): Promise<string | undefined> {
    const line = await wire.readLine(this.ctx.timeouts.greeting, 'its greeting');
    if (!/^\* OK\b/i.test(line)) {
      return line;
    }
    const reply = await new ImapConversation(wire, this.ctx.timeouts.command, 'V').command('STARTTLS');
    return reply.status === 'OK' ? undefined : `${reply.status} ${reply.text}`;
  }

  lastBye(): string | undefined {
    return this.conversation?.lastBye;
  }

  notesBeforeTls(capabilities: string[]): string[] {
    return capabilities.includes('LOGINDISABLED') ? ['LOGINDISABLED before TLS: the server refuses passwords on the unencrypted connection, as it should.'] : [];
  }

  private async afterConnect(opened: Opened): Promise<void> {
    const { conversation } = opened;
    const capabilities = await this.capabilityStep(opened);
    if (!capabilities) {
      return;
    }
    const mechanism = saslStep(this.ctx, this.report, this.token);
    const loggedIn = this.token ? await this.tokenLoginStep(opened, capabilities, mechanism) : await this.loginStep(opened, capabilities);
    if (loggedIn) {
      if ((await extensionsStep(this.ctx, conversation, this.report)) && (await mailboxesStep(this.ctx, conversation, this.report))) {
        await roundTripStep(this.ctx, conversation, this.report);
      }
    }
    try {
      await conversation.command('LOGOUT', { timeoutMs: Math.min(2000, this.ctx.timeouts.command) });
    } catch {
      // the server may close first; the diagnosis is complete either way
    }
  }

  private async capabilityStep(opened: Opened): Promise<string[] | undefined> {
    const started = Date.now();
    let capabilities = opened.capabilities;
    if (!opened.capabilitiesCurrent) {
      let reply: ImapReply;
      try {
        reply = await opened.conversation.command('CAPABILITY');
      } catch (err) {
        const explained =
          this.channel?.tlsAlert(err) || (opened.encrypted && !this.report.capabilitiesBeforeTls.length && this.channel?.hungUp(err, opened.greetedAt, 'CAPABILITY', 'capability', opened.conversation.lastBye));
        if (!explained) {
          this.ctx.rec.failed('imap.capability', started, err);
        }
        return undefined;
      }
      capabilities = capabilitiesOf(reply);
    }
    this.report.capabilitiesBeforeLogin = capabilities;
    this.report.authMechanisms = authMechanisms(capabilities);
    const details = [`Capabilities: ${capabilities.join(' ')}`];
    if (this.report.capabilitiesBeforeTls.length && opened.encrypted) {
      details.push('Fetched again after STARTTLS; the list from before TLS was discarded (RFC 3501 6.2.1), since an attacker could have changed it.');
    }
    if (capabilities.includes('ID')) {
      try {
        const reply = await opened.conversation.command('ID ("name" "IMAP Mailbox Explorer" "vendor" "connection doctor")');
        const id = reply.untagged.map(parseId).find((v) => v !== undefined);
        if (id) {
          this.report.serverId = id;
          details.push(`Server ID: ${Object.entries(id).map(([k, v]) => `${k}=${v}`).join(', ')}`);
        }
      } catch {
        // ID is courtesy; its failure says nothing about the account
      }
    }
    const mechanisms = this.report.authMechanisms;
    const loginDisabled = capabilities.includes('LOGINDISABLED');
    details.push(`Login: ${loginDisabled ? 'LOGIN command disabled (LOGINDISABLED)' : 'LOGIN command allowed'}; AUTHENTICATE mechanisms: ${mechanisms.join(', ') || 'none announced'}`);
    const serverName = this.report.serverId?.name ?? '';
    const oauthOnly = loginDisabled && offersOnlyOAuth(mechanisms) && opened.encrypted;
    this.record('imap.capability', started, {
      status: oauthOnly ? 'warn' : 'pass',
      summary: oauthOnly
        ? 'The server accepts only OAuth sign-in (XOAUTH2 / OAUTHBEARER) on this connection: a password login cannot work.'
        : `${serverName ? `${serverName}: ` : ''}${capabilities.length} capabilities before login; login by ${loginDisabled ? mechanisms.join(', ') || 'nothing' : ['LOGIN', ...mechanisms.filter((m) => m !== 'LOGIN')].join(', ')}.`,
      details,
      ...(oauthOnly ? { code: 'OAUTH_REQUIRED' as const, fix: OAUTH_REQUIRED.fix } : {}),
    });
    return capabilities;
  }

  /** Login was not tried: says why, and skips the checks that need it. Always false (not logged in). */
  private skipLogin(reason: string): false {
    this.ctx.rec.skip('imap.login', reason);
    this.skipAfterLogin('No login.');
    return false;
  }

  private async loginStep(opened: Opened, capabilities: string[]): Promise<boolean> {
    const started = Date.now();
    const user = this.endpoint.user;
    const mechanisms = this.report.authMechanisms;
    if (!this.password) {
      return this.skipLogin('No password was given (IMAP_PASSWORD, or the prompt): login and the checks after it were not run.');
    }
    if (!user) {
      return this.skipLogin('No user name was given (imaps://user@host): login and the checks after it were not run.');
    }
    if (!opened.passwordAllowed) {
      return this.skipLogin('The password was not sent: the TLS checks above failed, and the app would not log in over this connection either.');
    }
    // the order imapflow follows: AUTHENTICATE PLAIN (RFC 4616), AUTHENTICATE LOGIN, then the LOGIN
    // command unless LOGINDISABLED; nothing else takes a password
    if (capabilities.includes('LOGINDISABLED') && !mechanisms.includes('PLAIN') && !mechanisms.includes('LOGIN')) {
      const advice = !opened.encrypted
        ? capabilities.includes('STARTTLS')
          ? LOGIN_DISABLED_PLAIN
          : { ...missingStarttlsAdvice(capabilities, this.endpoint.port, `imaps://${this.endpoint.host}:993`, 'IMAP'), code: 'LOGIN_DISABLED' as const }
        : offersOnlyOAuth(mechanisms)
          ? OAUTH_REQUIRED
          : { ...LOGIN_DISABLED_PLAIN, summary: `The server offers no password login this app uses (LOGINDISABLED, and AUTHENTICATE mechanisms ${mechanisms.join(', ') || 'none'}).`, fix: 'Ask the administrator to enable AUTH=PLAIN over TLS.' };
      this.record('imap.login', started, { status: 'fail', code: advice.code, summary: advice.summary, fix: advice.fix });
      this.skipAfterLogin('Not logged in.');
      return false;
    }
    let reply: ImapReply;
    let how: string;
    try {
      const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
      if (mechanisms.includes('PLAIN')) {
        how = 'AUTHENTICATE PLAIN';
        const response = base64(`\u0000${user}\u0000${this.password}`);
        reply = capabilities.includes('SASL-IR')
          ? await opened.conversation.command(`AUTHENTICATE PLAIN ${response}`, { shown: 'AUTHENTICATE PLAIN (redacted)' })
          : await opened.conversation.command('AUTHENTICATE PLAIN', { continuations: [{ data: response, shown: '(redacted)' }] });
      } else if (mechanisms.includes('LOGIN')) {
        how = 'AUTHENTICATE LOGIN';
        reply = await opened.conversation.command('AUTHENTICATE LOGIN', {
          continuations: [
            { data: base64(user), shown: `(user name ${user}, base64)` },
            { data: base64(this.password), shown: '(redacted)' },
          ],
        });
      } else {
        how = 'LOGIN';
        const login = loginCommand(user, this.password);
        reply = await opened.conversation.command(login.command, { shown: login.shown, continuations: login.continuations });
      }
    } catch (err) {
      this.ctx.rec.failed('imap.login', started, err);
      this.skipAfterLogin('Not logged in.');
      return false;
    }
    if (reply.status === 'OK') {
      this.record('imap.login', started, { status: 'pass', summary: `Logged in as ${user} (${how}) in ${reply.ms} ms.` });
      return true;
    }
    const advice = imapLoginAdvice(reply, mechanisms, opened.encrypted);
    this.record('imap.login', started, { status: 'fail', code: advice.code, summary: advice.summary, fix: advice.fix, details: [`${how} answered ${reply.status}${reply.code ? ` [${reply.code}]` : ''} ${reply.text}`] });
    this.skipAfterLogin('Not logged in.');
    return false;
  }

  /** The login with an OAuth 2.0 token (OAUTHBEARER, else XOAUTH2, as imapflow chooses). */
  private async tokenLoginStep(opened: Opened, capabilities: string[], mechanism: 'OAUTHBEARER' | 'XOAUTH2' | undefined): Promise<boolean> {
    const started = Date.now();
    const user = this.endpoint.user;
    if (!mechanism || !this.token) {
      return this.skipLogin('The server offers no OAuth 2.0 mechanism: the token was not sent.');
    }
    if (!user) {
      return this.skipLogin('No user name was given (imaps://user@host): login and the checks after it were not run.');
    }
    if (!opened.passwordAllowed) {
      return this.skipLogin('The token was not sent: the TLS checks above failed, and the app would not log in over this connection either.');
    }
    let result: OAuthLoginResult;
    try {
      result = await oauthLogin(opened.conversation, mechanism, capabilities.includes('SASL-IR'), user, this.token, this.endpoint.host, this.endpoint.port);
    } catch (err) {
      this.ctx.rec.failed('imap.login', started, err);
      this.skipAfterLogin('Not logged in.');
      return false;
    }
    if (result.reply.status === 'OK') {
      this.record('imap.login', started, { status: 'pass', summary: `Logged in as ${user} with the OAuth 2.0 token (AUTHENTICATE ${mechanism}) in ${result.reply.ms} ms.` });
      return true;
    }
    const refusal = tokenRefusal(result, this.claims, user);
    this.record('imap.login', started, { status: 'fail', code: 'TOKEN_REJECTED', summary: refusal.summary, fix: refusal.fix, details: [`AUTHENTICATE ${mechanism} answered ${result.reply.status}${result.reply.code ? ` [${result.reply.code}]` : ''} ${result.reply.text}`, ...refusal.details] });
    this.skipAfterLogin('Not logged in.');
    return false;
  }

  private skipAfterLogin(reason: string): void {
    for (const id of ['imap.extensions', 'imap.mailboxes', 'imap.roundtrip'] as const) {
      this.ctx.rec.skip(id, `${reason} Needs a login.`);
    }
  }
}

/** Runs the IMAP steps against one server, filling `report` and recording every step. */
export async function checkImap(ctx: CheckContext, endpoint: Endpoint, password: string | undefined, report: ImapReport, token?: { accessToken: string; claims?: TokenClaims }): Promise<void> {
  await new ImapCheck(ctx, endpoint, report, password, token?.accessToken, token?.claims).run();
}
