// Certificate handling: reading a server's certificate without trusting it (to show the user
// what they would pin), and the TLS options that trust either the system CAs or exactly one
// pinned certificate. A pinned certificate is trusted by fingerprint, never by name or issuer.
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import { type Security } from './account';
import { type CertificateSummary, MailError, toMailError } from './errors';

export interface PinStore {
  /** PEM of a certificate the user pinned, by SHA-256 fingerprint. */
  get(sha256: string): string | undefined;
  set(sha256: string, pem: string): Promise<void> | void;
}

export function memoryPinStore(): PinStore {
  const pins = new Map<string, string>();
  return { get: (k) => pins.get(k), set: (k, v) => void pins.set(k, v) };
}

function pemOf(raw: Buffer): string {
  const b64 = raw.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function nameOf(entity: PeerCertificate['subject'] | undefined): string {
  if (!entity) {
    return '';
  }
  return Object.entries(entity)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

/** The certificates the server sent, leaf first (Node links them through issuerCertificate). */
export function chainOf(cert: DetailedPeerCertificate): DetailedPeerCertificate[] {
  const chain: DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = cert; c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    chain.push(c);
  }
  return chain;
}

export function summarizeCertificate(cert: PeerCertificate | DetailedPeerCertificate): CertificateSummary {
  const detailed = cert as DetailedPeerCertificate;
  const chain = detailed.issuerCertificate ? chainOf(detailed) : [detailed];
  const selfSigned = chain.length === 1 && nameOf(cert.subject) === nameOf(cert.issuer);
  return {
    sha256: cert.fingerprint256,
    subject: nameOf(cert.subject),
    issuer: nameOf(cert.issuer),
    validTo: cert.valid_to,
    selfSigned,
    // the whole chain: a pinned certificate from a private CA needs its issuers as trust anchors
    pem: chain.map((c) => pemOf(c.raw)).join(''),
  };
}

export function servernameFor(host: string): string | undefined {
  return isIP(host) ? undefined : host;
}

/** Reads one CRLF-terminated line (or a tagged reply) from a plain socket. */
function readUntil(socket: Socket, done: (text: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => finish(new MailError('TIMEOUT', 'The server did not answer in time.')), timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        finish();
      }
    };
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(new MailError('DISCONNECTED', 'The server closed the connection.'));
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      if (err) {
        reject(err);
      } else {
        resolve(text);
      }
    };
    socket.on('data', onData).on('error', onError).on('close', onClose);
  });
}

/**
 * Connects without verifying and returns the server's certificate, for the user to inspect
 * before trusting it. Nothing but STARTTLS (when asked) is sent, and no credentials ever.
 */
export async function probeCertificate(host: string, port: number, security: Security, timeoutMs = 10000): Promise<CertificateSummary> {
  if (security === 'none') {
    throw new MailError('INVALID_INPUT', 'A connection without TLS has no certificate.');
  }
  let plain: Socket | undefined;
  let secure: TLSSocket | undefined;
  try {
    if (security === 'starttls') {
      plain = netConnect({ host, port });
      await new Promise<void>((resolve, reject) => plain!.once('connect', resolve).once('error', reject));
      await readUntil(plain, (t) => t.includes('\r\n'), timeoutMs);
      plain.write('x STARTTLS\r\n');
      const reply = await readUntil(plain, (t) => /^x (?:OK|NO|BAD)/m.test(t), timeoutMs);
      if (!/^x OK/m.test(reply)) {
        throw new MailError('STARTTLS_UNAVAILABLE', `${host}:${port} refused STARTTLS.`);
      }
    }
    const sock = tlsConnect({ host, port, socket: plain, servername: servernameFor(host), rejectUnauthorized: false });
    secure = sock;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new MailError('TIMEOUT', `${host}:${port} did not complete the TLS handshake in time.`)), timeoutMs);
      sock.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      sock.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const cert = sock.getPeerCertificate(true);
    if (!cert || !cert.raw) {
      throw new MailError('TLS_FAILED', `${host}:${port} sent no certificate.`);
    }
    return summarizeCertificate(cert);
  } catch (err) {
    throw toMailError(err, { host, port });
  } finally {
    secure?.destroy();
    plain?.destroy();
  }
}

/**
 * TLS options for tls.connect (through imapflow's `tls` option). Without a pin: the system CAs
 * (plus `extraCa`, which tests use for their private CA) and normal host name checks. With a pin:
 * only that exact certificate; its PEM is the sole trust anchor (a self-signed one, or a leaf of
 * a private CA that is not trusted here) and the fingerprint is compared again after the
 * handshake, so a different certificate for the same key fails too.
 */
export function tlsOptionsFor(host: string, pin: { sha256: string; pem: string } | undefined, extraCa?: string[]): ConnectionOptions {
  const base: ConnectionOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  const servername = servernameFor(host);
  if (servername) {
    base.servername = servername;
  }
  if (!pin) {
    return extraCa?.length ? { ...base, ca: extraCa } : base;
  }
  return {
    ...base,
    ca: [pin.pem],
    // the pinned certificate is the trust anchor even when it is not self-signed: a leaf of a
    // private CA this machine does not trust (OpenSSL's X509_V_FLAG_PARTIAL_CHAIN)
    allowPartialTrustChain: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      cert.fingerprint256 === pin.sha256 ? undefined : Object.assign(new Error('The server certificate does not match the pinned fingerprint.'), { code: 'ERR_PIN_MISMATCH' }),
  };
}
