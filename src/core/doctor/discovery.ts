// Finding the servers of a mail domain the way mail clients do, in order: RFC 6186 SRV records,
// Thunderbird autoconfig (the provider's host, then its well-known URL), then the usual host
// names. Each question and its answer is kept for the report.
import { type SrvRecord } from 'node:dns';
import { type AutoconfigFetcher, parseAutoconfig } from './autoconfig';
import { type DoctorResolver, describeDnsError } from './dns';
import { type DiscoveryAttempt, type DiscoveryReport, type DiscoverySource, type Endpoint } from './types';
import { connectTcp } from './wire';

export interface DiscoveryDeps {
  resolver: DoctorResolver;
  fetcher: AutoconfigFetcher;
  timeoutMs: number;
  /** Ports tried on guessed host names (993 and 143; tests move them). */
  guessPorts: { tls: number; starttls: number };
}

export interface DiscoveryResult {
  report: DiscoveryReport;
  imap?: Endpoint;
  smtp?: Endpoint;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEOUT' })), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function describe(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port} (${endpoint.security === 'tls' ? 'TLS' : endpoint.security === 'starttls' ? 'STARTTLS' : 'no TLS'})`;
}

/** RFC 2782 order: lowest priority first, then the heaviest weight (no random pick: a report must be repeatable). */
function bestSrv(records: SrvRecord[]): SrvRecord | undefined {
  return [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
}

export async function discover(domain: string, email: string | undefined, deps: DiscoveryDeps): Promise<DiscoveryResult> {
  const attempts: DiscoveryAttempt[] = [];
  const withUser = (e: Endpoint): Endpoint => (e.user || !email ? e : { ...e, user: email });
  const note = (source: DiscoverySource, query: string, started: number, found: boolean, result: string) =>
    attempts.push({ source, query, found, result, ms: Date.now() - started });

  const srv = async (service: string, security: Endpoint['security']): Promise<Endpoint | undefined> => {
    const name = `${service}.${domain}`;
    const started = Date.now();
    try {
      const record = bestSrv(await withTimeout(deps.resolver.resolveSrv(name), deps.timeoutMs));
      // RFC 2782: a target of "." means the service is decidedly not offered
      if (!record || record.name === '' || record.name === '.') {
        note('srv', name, started, false, 'the domain says it does not offer this service (target ".")');
        return undefined;
      }
      const endpoint: Endpoint = { host: record.name.replace(/\.$/, '').toLowerCase(), port: record.port, security };
      note('srv', name, started, true, describe(endpoint));
      return endpoint;
    } catch (err) {
      note('srv', name, started, false, describeDnsError(err).text);
      return undefined;
    }
  };

  const imapSrv = (await srv('_imaps._tcp', 'tls')) ?? (await srv('_imap._tcp', 'starttls'));
  // RFC 8314 added _submissions (TLS from the first byte) next to RFC 6186's _submission
  const smtpSrv = (await srv('_submissions._tcp', 'tls')) ?? (await srv('_submission._tcp', 'starttls'));
  if (imapSrv) {
    return { report: { domain, source: 'srv', attempts }, imap: withUser(imapSrv), ...(smtpSrv ? { smtp: withUser(smtpSrv) } : {}) };
  }

  const query = email ? `?emailaddress=${encodeURIComponent(email)}` : '';
  const autoconfigUrls: Array<[DiscoverySource, string]> = [
    ['autoconfig', `https://autoconfig.${domain}/mail/config-v1.1.xml${query}`],
    ['well-known', `https://${domain}/.well-known/autoconfig/mail/config-v1.1.xml${query}`],
  ];
  for (const [source, url] of autoconfigUrls) {
    const started = Date.now();
    try {
      const { status, body } = await withTimeout(deps.fetcher(url, deps.timeoutMs), deps.timeoutMs + 500);
      if (status !== 200) {
        note(source, url, started, false, `HTTP ${status}`);
        continue;
      }
      const servers = parseAutoconfig(body, email, domain);
      if (!servers.imap) {
        note(source, url, started, false, `no IMAP server with TLS or STARTTLS in the file${servers.ignored.length ? ` (ignored: ${servers.ignored.join(', ')})` : ''}`);
        continue;
      }
      note(source, url, started, true, `IMAP ${describe(servers.imap)}${servers.smtp ? `, SMTP ${describe(servers.smtp)}` : ''}`);
      return {
        report: { domain, source, attempts },
        imap: withUser(servers.imap),
        ...(servers.smtp ? { smtp: withUser(servers.smtp) } : smtpSrv ? { smtp: withUser(smtpSrv) } : {}),
      };
    } catch (err) {
      const code = (err as { code?: string }).code;
      note(source, url, started, false, code === 'ENOTFOUND' || code === 'ENODATA' ? 'no such host' : `${(err as Error).message ?? err}`);
    }
  }

  const guesses = [`imap.${domain}`, `mail.${domain}`, ...(email ? [] : [domain])];
  for (const host of guesses) {
    const started = Date.now();
    let addresses: string[];
    try {
      addresses = (await withTimeout(deps.resolver.lookup(host), deps.timeoutMs)).map((a) => a.address);
    } catch (err) {
      note('guess', host, started, false, describeDnsError(err).text);
      continue;
    }
    for (const [security, port] of [['tls', deps.guessPorts.tls], ['starttls', deps.guessPorts.starttls]] as const) {
      const tcp = await connectTcp(addresses.slice(0, 1), port, deps.timeoutMs);
      tcp.socket?.destroy();
      if (tcp.socket) {
        const endpoint = withUser({ host, port, security });
        note('guess', `${host}:${port}`, started, true, `accepts connections: ${describe(endpoint)}`);
        return { report: { domain, source: 'guess', attempts }, imap: endpoint, ...(smtpSrv ? { smtp: withUser(smtpSrv) } : {}) };
      }
    }
    note('guess', host, started, false, `resolves to ${addresses.join(', ')} but accepts no connection on port ${deps.guessPorts.tls} or ${deps.guessPorts.starttls}`);
  }
  return { report: { domain, source: null, attempts } };
}
