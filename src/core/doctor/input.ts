// What the user typed, turned into a server to check or a domain to discover: imaps://user@host:993,
// imap://host:143 (STARTTLS), host:port, a bare host or domain, or an email address.
import { isIP } from 'node:net';
import { isValidHost } from '../account';
import { MailError } from '../errors';
import { type Endpoint } from './types';

export type ParsedTarget =
  | { kind: 'endpoint'; endpoint: Endpoint; note: string }
  | { kind: 'discover'; domain: string; email?: string; note: string };

const EMAIL = /^([^\s@/:]+)@([^\s@/:]+)$/;
/** First labels that name a mail server rather than a mail domain: such a bare name is checked directly. */
const MAIL_HOST_PREFIX = /^(?:imap|imaps|mail|smtp|submission)\./i;

function bad(message: string): MailError {
  return new MailError('INVALID_INPUT', message);
}

function checkHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (!isValidHost(bare)) {
    throw bad(`"${host}" is not a host name or IP address.`);
  }
  return bare;
}

function checkPort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw bad(`"${text}" is not a port number (1-65535).`);
  }
  return port;
}

interface Schemes {
  tls: string;
  starttls: string;
  defaultPorts: { tls: number; starttls: number };
}

const IMAP_SCHEMES: Schemes = { tls: 'imaps:', starttls: 'imap:', defaultPorts: { tls: 993, starttls: 143 } };
const SMTP_SCHEMES: Schemes = { tls: 'smtps:', starttls: 'smtp:', defaultPorts: { tls: 465, starttls: 587 } };

function parseUrl(text: string, schemes: Schemes): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(`"${text}" is not a valid address. Examples: ${schemes.tls}//user@host:${schemes.defaultPorts.tls}, ${schemes.starttls}//host:${schemes.defaultPorts.starttls}.`);
  }
  if (url.protocol !== schemes.tls && url.protocol !== schemes.starttls) {
    throw bad(`Use ${schemes.tls}// (TLS) or ${schemes.starttls}// (STARTTLS), not ${url.protocol}//.`);
  }
  if (url.password) {
    // never echo the URL back: it holds the password
    throw bad('Do not put the password in the address: give it in IMAP_PASSWORD / SMTP_PASSWORD or at the prompt.');
  }
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) {
    throw bad(`Only ${schemes.tls}//user@host:port is understood; remove "${url.pathname}${url.search}${url.hash}".`);
  }
  const security = url.protocol === schemes.tls ? 'tls' : 'starttls';
  const endpoint: Endpoint = {
    host: checkHost(url.hostname),
    port: url.port ? checkPort(url.port) : schemes.defaultPorts[security],
    security,
  };
  if (url.username) {
    endpoint.user = decodeURIComponent(url.username);
  }
  return endpoint;
}

/** host:port, [v6]:port, user@host:port; the security follows from the port. */
function parseHostPort(text: string, schemes: Schemes): Endpoint | undefined {
  const match = /^(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s[\]]+):(\d+)$/.exec(text);
  if (!match) {
    return undefined;
  }
  const port = checkPort(match[3]);
  const security = port === schemes.defaultPorts.starttls || port === 143 || port === 587 || port === 25 ? 'starttls' : 'tls';
  return { host: checkHost(match[2]), port, security, ...(match[1] ? { user: match[1] } : {}) };
}

/** Parses the IMAP target of a diagnosis. Throws MailError('INVALID_INPUT') with a sentence that says what is wrong. */
export function parseImapTarget(input: string): ParsedTarget {
  const text = input.trim();
  if (!text) {
    throw bad('Give a server to check: imaps://user@host:993, imap://host:143, host:port, or an email address.');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const endpoint = parseUrl(text, IMAP_SCHEMES);
    return { kind: 'endpoint', endpoint, note: `${endpoint.security === 'tls' ? 'TLS' : 'STARTTLS'} on ${endpoint.host}:${endpoint.port}, as given.` };
  }
  const hostPort = parseHostPort(text, IMAP_SCHEMES);
  if (hostPort) {
    return { kind: 'endpoint', endpoint: hostPort, note: `${hostPort.security === 'tls' ? 'TLS' : 'STARTTLS'} on ${hostPort.host}:${hostPort.port} (chosen from the port number).` };
  }
  const email = EMAIL.exec(text);
  if (email) {
    const domain = checkHost(email[2]);
    return { kind: 'discover', domain, email: `${email[1]}@${domain}`, note: `An email address: the settings of ${domain} are discovered, and ${email[1]}@${domain} is the user name.` };
  }
  const host = checkHost(text);
  if (isIP(host) || host === 'localhost' || MAIL_HOST_PREFIX.test(host)) {
    return { kind: 'endpoint', endpoint: { host, port: 993, security: 'tls' }, note: `A server name: TLS on ${host}:993 (give imap://${host} for STARTTLS on 143).` };
  }
  return { kind: 'discover', domain: host, note: `A domain: its mail settings are discovered (give imaps://host:port to check one server directly).` };
}

/** Parses the SMTP submission target: smtps://host:465 (TLS), smtp://host:587 (STARTTLS), host:port or host. */
export function parseSmtpTarget(input: string): Endpoint {
  const text = input.trim();
  if (!text) {
    throw bad('Give the SMTP server as smtp://host:587 (STARTTLS) or smtps://host:465 (TLS).');
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return parseUrl(text, SMTP_SCHEMES);
  }
  const hostPort = parseHostPort(text, SMTP_SCHEMES);
  if (hostPort) {
    return hostPort;
  }
  return { host: checkHost(text), port: 587, security: 'starttls' };
}

/** The target as a URL again, for the report and the verdict line (never with a password). */
export function endpointUrl(endpoint: Endpoint, protocol: 'imap' | 'smtp'): string {
  const scheme = endpoint.security === 'tls' ? `${protocol}s` : protocol;
  const host = isIP(endpoint.host) === 6 ? `[${endpoint.host}]` : endpoint.host;
  const user = endpoint.user ? `${encodeURIComponent(endpoint.user)}@` : '';
  return `${scheme}://${user}${host}:${endpoint.port}${endpoint.security === 'none' ? ' (no TLS)' : ''}`;
}
