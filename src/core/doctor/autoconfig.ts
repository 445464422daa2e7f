// Thunderbird-style autoconfig (config-v1.1.xml): fetching it over HTTPS with normal certificate
// checks, and reading the IMAP and SMTP servers out of it. Plain HTTP is never asked: an answer an
// attacker on the path can forge would send the user's password to their server.
import { type LookupFunction, isIP } from 'node:net';
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { DomUtils, parseDocument } from 'htmlparser2';
import { type DoctorResolver } from './dns';
import { type Endpoint } from './types';

export interface FetchResult {
  status: number;
  body: string;
}

/** Fetches one URL; rejects on network and TLS errors. Injectable so tests can use a local server. */
export type AutoconfigFetcher = (url: string, timeoutMs: number) => Promise<FetchResult>;

const MAX_BODY = 512 * 1024;

export interface HttpsFetcherOptions {
  /** Resolves the URL's host (the doctor's resolver, so discovery asks one DNS). */
  resolver?: DoctorResolver;
  /** Extra trusted CAs in addition to Node's store (tests). */
  ca?: string[];
  /** Connect to this port instead of the URL's (a test server cannot listen on 443). */
  port?: number;
}

export function httpsFetcher(options: HttpsFetcherOptions = {}): AutoconfigFetcher {
  return (url, timeoutMs) =>
    new Promise<FetchResult>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error('autoconfig is only fetched over HTTPS'));
        return;
      }
      const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
      const lookupWith = options.resolver;
      const lookup: LookupFunction | undefined = lookupWith
        ? (hostname, lookupOptions, callback) => {
            lookupWith.lookup(hostname).then(
              (addresses) => {
                if (lookupOptions.all) {
                  callback(null, addresses);
                } else {
                  callback(null, addresses[0].address, addresses[0].family);
                }
              },
              (err: NodeJS.ErrnoException) => callback(err, '', 4),
            );
          }
        : undefined;
      const req = request(
        {
          host,
          port: options.port ?? (target.port ? Number(target.port) : 443),
          path: `${target.pathname}${target.search}`,
          method: 'GET',
          servername: isIP(host) ? undefined : host,
          headers: { host: target.host, accept: 'application/xml, text/xml;q=0.9, */*;q=0.1' },
          ...(options.ca?.length ? { ca: [...rootCertificates, ...options.ca] } : {}),
          ...(lookup ? { lookup } : {}),
          timeout: timeoutMs,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
            if (body.length > MAX_BODY) {
              req.destroy(new Error('the autoconfig answer is too large'));
            }
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end();
    });
}

export interface AutoconfigServers {
  imap?: Endpoint;
  smtp?: Endpoint;
  /** The <authentication> values of the IMAP server used (password-cleartext, OAuth2...), in file order. */
  imapAuthentication?: string[];
  /** Servers the file lists that the doctor would not use (plain-text only, POP3...). */
  ignored: string[];
}

const SECURITY: Record<string, Endpoint['security'] | undefined> = { SSL: 'tls', TLS: 'tls', STARTTLS: 'starttls' };

/** Reads config-v1.1.xml: the first IMAP server and the first SMTP server that use TLS or STARTTLS. */
export function parseAutoconfig(xml: string, email: string | undefined, domain: string): AutoconfigServers {
  const doc = parseDocument(xml, { xmlMode: true });
  const [local] = (email ?? '').split('@');
  const fill = (text: string) =>
    text
      .replace(/%EMAILADDRESS%/g, email ?? '')
      .replace(/%EMAILLOCALPART%/g, local ?? '')
      .replace(/%EMAILDOMAIN%/g, domain)
      .trim();
  const servers: AutoconfigServers = { ignored: [] };
  const read = (tag: 'incomingServer' | 'outgoingServer', type: 'imap' | 'smtp'): Endpoint | undefined => {
    for (const element of DomUtils.getElementsByTagName(tag, doc, true)) {
      const kind = (element.attribs.type ?? '').toLowerCase();
      const field = (name: string) => {
        const found = DomUtils.getElementsByTagName(name, element.children, false, 1)[0];
        return found ? fill(DomUtils.textContent(found)) : '';
      };
      const host = field('hostname').toLowerCase();
      const port = Number(field('port'));
      const socketType = field('socketType').toUpperCase();
      if (kind !== type) {
        servers.ignored.push(`${kind || tag} ${host}:${port}`);
        continue;
      }
      const security = SECURITY[socketType];
      if (!host || !Number.isInteger(port) || port < 1 || port > 65535 || !security) {
        servers.ignored.push(`${type} ${host || '(no host)'}:${port || '?'} (${socketType || 'no socketType'})`);
        continue;
      }
      const user = field('username');
      if (type === 'imap') {
        servers.imapAuthentication = DomUtils.getElementsByTagName('authentication', element.children, false).map((a) => DomUtils.textContent(a).trim()).filter(Boolean);
      }
      return { host, port, security, ...(user && !/%/.test(user) ? { user } : {}) };
    }
    return undefined;
  };
  servers.imap = read('incomingServer', 'imap');
  servers.smtp = read('outgoingServer', 'smtp');
  return servers;
}
