// The connection doctor: checks an IMAP (and optionally SMTP submission) configuration end to end,
// step by step, and returns a report that explains every failure in plain words. Used by the CLI
// (src/cli/check.ts) and, later, by the VS Code side; nothing here imports vscode.
import { isValidHost, normaliseFingerprint } from '../account';
import { MailError } from '../errors';
import { registerSecret } from '../log';
import { type AutoconfigFetcher, httpsFetcher } from './autoconfig';
import { discover } from './discovery';
import { type DoctorResolver, systemResolver } from './dns';
import { checkImap, emptyImapReport } from './imapChecks';
import { tokenStep } from './oauthChecks';
import { endpointUrl, parseImapTarget, parseSmtpTarget } from './input';
import { commandsFor, fixesOf, verdictOf } from './report';
import { checkSmtp, emptySmtpReport } from './smtpChecks';
import { type CheckContext, StepRecorder } from './steps';
import { Transcript } from './transcript';
import { DEFAULT_TIMEOUTS, type DiscoveryReport, type DoctorReport, type DoctorStep, type DoctorTimeouts, type Endpoint, type ImapReport, REPORT_SCHEMA, type SmtpReport } from './types';

export { httpsFetcher, type AutoconfigFetcher } from './autoconfig';
export { dnsServerResolver, systemResolver, type DoctorResolver } from './dns';
export { parseImapTarget, parseSmtpTarget } from './input';
export { reportToJson, reportToMarkdown, reportToText } from './report';
export * from './types';

export type DoctorInput = string | Endpoint;

export interface DoctorOptions {
  /** The IMAP password. Without it the login and everything after it are skipped. */
  password?: string;
  /** An SMTP submission server to check as well: smtps://host:465, smtp://host:587, or an Endpoint. Discovered SMTP settings are checked when this is absent. */
  smtp?: string | Endpoint;
  /** The SMTP password; the IMAP password when absent. */
  smtpPassword?: string;
  /** An OAuth 2.0 access token: IMAP logs in with it (OAUTHBEARER / XOAUTH2) instead of a password. */
  accessToken?: string;
  /** The scopes the authorization server said it granted with the token (for opaque tokens, which carry none). */
  tokenScopes?: string[];
  /** Extra trusted CA certificates (PEM), on top of Node's store. */
  ca?: string[];
  /** A SHA-256 fingerprint the user trusts (a pinned self-signed certificate). */
  pin?: string;
  /** The pinned certificate chain (PEM) as the account stores it; without it the doctor fetches it as the session would. */
  pinPem?: string;
  /** DNS for discovery and host names; the system's by default. */
  resolver?: DoctorResolver;
  /** HTTPS for autoconfig; Node's https with the normal checks by default. */
  fetcher?: AutoconfigFetcher;
  timeouts?: Partial<DoctorTimeouts>;
  /** The usual IMAP ports (993 and 143): tried on guessed host names during discovery, and on a host whose port does not connect. */
  guessPorts?: { tls: number; starttls: number };
  /** The CA file the user named, only to show it in the openssl/curl commands. */
  caFile?: string;
  /** Called as each step finishes (progress in the UI). */
  onStep?: (step: DoctorStep) => void;
}

function checkEndpoint(endpoint: Endpoint): Endpoint {
  if (!isValidHost(endpoint.host) || !Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535 || !['tls', 'starttls', 'none'].includes(endpoint.security)) {
    throw new MailError('INVALID_INPUT', `${endpoint.host}:${endpoint.port} (${endpoint.security}) is not a valid server setting.`);
  }
  return endpoint;
}

const SOURCE_WORDS: Record<NonNullable<DiscoveryReport['source']>, string> = {
  srv: 'DNS SRV records (RFC 6186)',
  autoconfig: 'the provider\'s autoconfig server',
  'well-known': 'the domain\'s well-known autoconfig file',
  guess: 'a guess at the usual host names',
};

/** Replaces every occurrence of the secrets in every string of the report: the last line of defence. */
function scrub<T>(value: T, secrets: string[]): T {
  if (typeof value === 'string') {
    return secrets.reduce<string>((text, secret) => text.split(secret).join('(redacted)'), value) as T;
  }
  if (Array.isArray(value)) {
    return value.map((v) => scrub(v, secrets)) as T;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, secrets)])) as T;
  }
  return value;
}

export async function runDoctor(input: DoctorInput, options: DoctorOptions = {}): Promise<DoctorReport> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const smtpPassword = options.smtpPassword ?? options.password;
  registerSecret(options.password);
  registerSecret(smtpPassword);
  registerSecret(options.accessToken);
  const rec = new StepRecorder(options.onStep);
  const transcript = new Transcript(started);
  const resolver = options.resolver ?? systemResolver;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const pin = options.pin ? normaliseFingerprint(options.pin) : undefined;
  const ctx: CheckContext = {
    rec,
    transcript,
    timeouts,
    resolver,
    fetcher: options.fetcher ?? httpsFetcher({ resolver }),
    standardPorts: { imap: options.guessPorts ?? { tls: 993, starttls: 143 }, smtp: { tls: 465, starttls: 587 } },
    trust: { ...(options.ca?.length ? { ca: options.ca } : {}), ...(pin ? { pin } : {}), ...(pin && options.pinPem ? { pinPem: options.pinPem } : {}) },
  };

  // a password in the address is refused below, but the report must not repeat it either
  let inputText = typeof input === 'string' ? input.trim().replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^@/]*@/i, '$1:(redacted)@') : '';
  let imap: Endpoint | undefined;
  let smtp: Endpoint | undefined;
  let discovery: DiscoveryReport | null = null;
  let domainToDiscover: { domain: string; email?: string } | undefined;

  const inputStarted = Date.now();
  try {
    if (options.pin && !pin) {
      throw new MailError('INVALID_INPUT', 'The pinned fingerprint is not a SHA-256 fingerprint (64 hex digits, colons optional).');
    }
    let note: string;
    if (typeof input === 'string') {
      const parsed = parseImapTarget(input);
      note = parsed.note;
      if (parsed.kind === 'endpoint') {
        imap = parsed.endpoint;
      } else {
        domainToDiscover = { domain: parsed.domain, ...(parsed.email ? { email: parsed.email } : {}) };
      }
    } else {
      imap = checkEndpoint(input);
      inputText = endpointUrl(input, 'imap');
      note = `${input.security === 'tls' ? 'TLS' : input.security === 'starttls' ? 'STARTTLS' : 'No TLS'} on ${input.host}:${input.port}, from the account settings.`;
    }
    if (options.smtp) {
      smtp = typeof options.smtp === 'string' ? parseSmtpTarget(options.smtp) : checkEndpoint(options.smtp);
      smtp = smtp.user || !(imap?.user ?? domainToDiscover?.email) ? smtp : { ...smtp, user: imap?.user ?? domainToDiscover?.email };
    }
    rec.record('input', inputStarted, {
      status: 'pass',
      summary: note,
      details: [
        options.accessToken ? 'IMAP sign-in: an OAuth 2.0 access token' : `IMAP password: ${options.password ? 'given' : 'not given (login is not checked)'}`,
        ...(smtp ? [`SMTP: ${endpointUrl(smtp, 'smtp')}, password ${options.smtpPassword ? 'given' : options.password ? 'the IMAP one' : 'not given'}`] : []),
        ...(pin ? [`Pinned certificate: ${pin}`] : []),
        ...(options.ca?.length ? [`Extra trusted CA certificates: ${options.ca.length}`] : []),
      ],
    });
  } catch (err) {
    const error = err instanceof MailError ? err : new MailError('INVALID_INPUT', String(err));
    rec.record('input', inputStarted, { status: 'fail', code: error.code, summary: error.message, fix: 'Give the server as imaps://user@host:993, imap://user@host:143, host:port, or an email address.' });
  }

  if (domainToDiscover) {
    const discoveryStarted = Date.now();
    const found = await discover(domainToDiscover.domain, domainToDiscover.email, {
      resolver,
      fetcher: ctx.fetcher,
      timeoutMs: timeouts.discovery,
      guessPorts: options.guessPorts ?? { tls: 993, starttls: 143 },
    });
    discovery = found.report;
    const details = found.report.attempts.map((a) => `${a.found ? '+' : '-'} ${a.source}: ${a.query}: ${a.result} (${a.ms} ms)`);
    if (found.imap) {
      imap = found.imap;
      smtp ??= found.smtp;
      const guessed = found.report.source === 'guess';
      rec.record('discovery', discoveryStarted, {
        status: guessed ? 'warn' : 'pass',
        summary: `Found by ${SOURCE_WORDS[found.report.source!]}: IMAP ${endpointUrl(found.imap, 'imap')}${found.smtp ? `, SMTP ${endpointUrl(found.smtp, 'smtp')}` : ''}.`,
        details: [...details, 'Discovered settings are not authenticated (DNS without DNSSEC, guesses): make sure the host really belongs to your provider before trusting it with a password.'],
        ...(guessed ? { fix: `The server was only guessed. Domain owners: publish SRV records (_imaps._tcp.${found.report.domain}) or an autoconfig file so that mail clients find it.` } : {}),
      });
    } else {
      rec.record('discovery', discoveryStarted, {
        status: 'fail',
        code: 'NOT_FOUND',
        summary: `No mail settings found for ${found.report.domain}: no SRV records, no autoconfig file, and neither imap.${found.report.domain} nor mail.${found.report.domain} accepts IMAP connections.`,
        details,
        fix: 'Look up the IMAP server name in the provider\'s help pages and check it directly (imaps://user@host:993).',
      });
    }
  } else if (imap) {
    rec.skip('discovery', 'The server was given: nothing to discover.');
  }

  let imapReport: ImapReport | null = null;
  let smtpReport: SmtpReport | null = null;
  if (imap) {
    imapReport = emptyImapReport(imap);
    const claims = options.accessToken ? tokenStep(ctx, options.accessToken, imap.user, options.tokenScopes) : undefined;
    await checkImap(ctx, imap, options.password, imapReport, options.accessToken ? { accessToken: options.accessToken, ...(claims ? { claims } : {}) } : undefined);
  }
  if (smtp) {
    smtpReport = emptySmtpReport(smtp);
    await checkSmtp(ctx, smtp, smtpPassword, smtpReport, options.accessToken);
  }

  const steps = rec.steps;
  const report: DoctorReport = {
    schema: REPORT_SCHEMA,
    startedAt,
    durationMs: Date.now() - started,
    input: inputText || (imap ? endpointUrl(imap, 'imap') : ''),
    verdict: verdictOf(steps),
    discovery,
    imap: imapReport,
    smtp: smtpReport,
    steps,
    fixes: fixesOf(steps),
    commands: [...commandsFor(imapReport, 'imap', options.caFile), ...commandsFor(smtpReport, 'smtp', options.caFile)],
    transcript: transcript.result(),
  };
  const secrets = [options.password, smtpPassword, options.accessToken].filter((s): s is string => Boolean(s && s.length >= 4));
  return scrub(report, secrets);
}
