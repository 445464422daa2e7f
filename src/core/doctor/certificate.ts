// What a TLS connection and its certificate look like, and whether the app would accept them. The
// doctor reads the certificate without verifying (so a bad one can still be described), then
// checks it itself: the chain is walked up to a trust anchor of Node's store (plus test CAs), and
// OpenSSL's own verdict with that same store is kept next to ours. A pinned fingerprint replaces
// the CA and host-name checks, exactly as the account's pin does in tlsOptionsFor.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, rootCertificates, type TLSSocket } from 'node:tls';
import { MailError, type MailErrorCode } from '../errors';
import { chainOf, summarizeCertificate } from '../tls';
import { type ChainEntry, type StepStatus, type TlsReport } from './types';

export interface TrustOptions {
  /** Extra trusted CAs (PEM), in addition to Node's store. */
  ca?: string[];
  /** A pinned SHA-256 fingerprint in Node's form (AB:CD:...). */
  pin?: string;
}

let systemAnchors: X509Certificate[] | undefined;

function anchorsFor(ca: string[] | undefined): X509Certificate[] {
  systemAnchors ??= rootCertificates.map((pem) => new X509Certificate(pem));
  const extra = (ca ?? []).flatMap((pem) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
  return [...systemAnchors, ...extra];
}

function issues(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

type ChainVerdict = { trusted: true } | { trusted: false; selfSigned: boolean; stuckAt: X509Certificate };

/** Walks from the leaf through the certificates the server sent until an anchor signed one. */
function walkChain(chain: X509Certificate[], anchors: X509Certificate[]): ChainVerdict {
  const anchorPrints = new Set(anchors.map((a) => a.fingerprint256));
  let current = chain[0];
  const pool = chain.slice(1);
  for (let depth = 0; depth < 10; depth++) {
    if (anchorPrints.has(current.fingerprint256) || anchors.some((a) => issues(current, a))) {
      return { trusted: true };
    }
    if (issues(current, current)) {
      return { trusted: false, selfSigned: true, stuckAt: current };
    }
    const next = pool.find((c) => c !== current && issues(current, c));
    if (!next) {
      return { trusted: false, selfSigned: false, stuckAt: current };
    }
    current = next;
  }
  return { trusted: false, selfSigned: false, stuckAt: current };
}

function sansOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((s) => s.replace(/^IP Address:/, 'IP:'));
}

/** Describes the TLS connection and its certificate. Throws only when the server sent no certificate at all. */
export function inspectTls(socket: TLSSocket, hostname: string, handshakeMs: number, trust: TrustOptions, now = new Date()): TlsReport {
  const peer = socket.getPeerCertificate(true);
  if (!peer || !peer.raw) {
    throw new MailError('TLS_FAILED', 'The server completed the TLS handshake without a certificate.');
  }
  const summary = summarizeCertificate(peer);
  const linked = chainOf(peer);
  const x509 = linked.map((c) => new X509Certificate(c.raw));
  const leaf = x509[0];
  const anchors = anchorsFor(trust.ca);
  const anchorPrints = new Set(anchors.map((a) => a.fingerprint256));
  const walk = walkChain(x509, anchors);
  const validTo = new Date(leaf.validTo);
  const chain: ChainEntry[] = x509.map((c) => ({ subject: c.subject.replace(/\n/g, ', '), issuer: c.issuer.replace(/\n/g, ', '), sha256: c.fingerprint256, validTo: new Date(c.validTo).toISOString(), inTrustStore: anchorPrints.has(c.fingerprint256) }));
  const pinMatches = trust.pin ? trust.pin === summary.sha256 : undefined;
  const cipher = socket.getCipher();
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: cipher?.standardName || cipher?.name || 'unknown',
    handshakeMs,
    hostname,
    hostMatches: checkServerIdentity(isIP(hostname) ? hostname : hostname.toLowerCase(), peer) === undefined,
    certificate: {
      subject: summary.subject,
      issuer: summary.issuer,
      sans: sansOf(leaf),
      validFrom: new Date(leaf.validFrom).toISOString(),
      validTo: validTo.toISOString(),
      daysToExpiry: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
      selfSigned: summary.selfSigned || (!walk.trusted && walk.selfSigned && walk.stuckAt === leaf),
      sha256: summary.sha256,
      pem: summary.pem,
    },
    chain,
    // OpenSSL accepting the chain also counts: its store holds NODE_EXTRA_CA_CERTS and whatever the host added
    trust: pinMatches ? 'pin' : walk.trusted || socket.authorized ? 'ca' : 'none',
    verifyError: socket.authorized ? null : String(socket.authorizationError ?? 'unknown'),
    ...(trust.pin ? { pin: { expected: trust.pin, matches: Boolean(pinMatches) } } : {}),
  };
}

export interface TlsJudgement {
  status: StepStatus;
  code?: MailErrorCode;
  summary: string;
  details: string[];
  fix?: string;
  /** Whether the app would send a password over this connection. */
  acceptable: boolean;
}

/** OpenSSL verdicts that the doctor already explains in its own words. */
const EXPLAINED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT']);

/** TLS 1.0 and 1.1 are deprecated by RFC 8996; Node, and so this app, refuse anything below 1.2. */
export function isOutdatedTls(protocol: string): boolean {
  return /^(?:SSLv|TLSv1$|TLSv1\.[01]$)/.test(protocol);
}

export function judgeTls(report: TlsReport, now = new Date()): TlsJudgement {
  const cert = report.certificate;
  const problems: Array<{ code: MailErrorCode; text: string; fix: string }> = [];
  const pinned = report.pin?.matches === true;
  const names = cert.sans.length ? cert.sans.map((s) => s.replace(/^(DNS|IP):/, '')).join(', ') : cert.subject;

  if (report.pin && !report.pin.matches) {
    problems.push({
      code: 'TLS_PIN_MISMATCH',
      text: `The certificate is not the pinned one: the pin is ${report.pin.expected}, the server shows ${cert.sha256}.`,
      fix: 'If the certificate was replaced on purpose, confirm the new fingerprint with the server administrator and pin it again. If not, someone may be intercepting the connection: do not log in.',
    });
  }
  if (!pinned && report.trust === 'none') {
    problems.push(
      cert.selfSigned
        ? {
            code: 'TLS_UNTRUSTED',
            text: 'The certificate is self-signed: no certificate authority vouches for it, so anyone could have made it.',
            fix: `Install a certificate from a public CA on the server (Let's Encrypt is free). For your own server you can instead compare the SHA-256 fingerprint ${cert.sha256} with the server's (openssl x509 -noout -fingerprint -sha256 -in cert.pem) and pin it (--pin, or "Trust this certificate" in VS Code).`,
          }
        : {
            code: 'TLS_UNTRUSTED',
            text: `The certificate was issued by "${cert.issuer}", which is not in this computer's trust store, or the server did not send the intermediate certificate that leads to a trusted authority.`,
            fix: 'Configure the server to send the full chain (the certificate followed by its intermediates, e.g. fullchain.pem as Dovecot ssl_cert). If the issuer is your organisation\'s own CA, add it to the trust store (NODE_EXTRA_CA_CERTS, or --ca for this check).',
          },
    );
  }
  if (!pinned && !report.hostMatches) {
    problems.push({
      code: 'TLS_HOSTNAME',
      text: `The certificate is for ${names}, not for ${report.hostname}.`,
      fix: `Connect with a name the certificate lists${cert.sans[0] ? ` (${cert.sans[0].replace(/^(DNS|IP):/, '')})` : ''}, or get a certificate that includes ${report.hostname}.`,
    });
  }
  if (new Date(cert.validTo) < now) {
    problems.push({
      code: 'TLS_EXPIRED',
      text: `The certificate expired on ${cert.validTo.slice(0, 10)} (${-cert.daysToExpiry} days ago).`,
      fix: 'Renew the certificate on the server and reload the server so it uses the new file (automatic renewal may have stopped working).',
    });
  } else if (new Date(cert.validFrom) > now) {
    problems.push({
      code: 'TLS_EXPIRED',
      text: `The certificate is not valid before ${cert.validFrom}.`,
      fix: 'Check the clock of this computer and of the server; otherwise wait, or install a certificate that is valid now.',
    });
  }
  if (!pinned && report.trust === 'ca' && report.verifyError && !EXPLAINED.has(report.verifyError)) {
    problems.push({
      code: 'TLS_UNTRUSTED',
      text: `OpenSSL rejects the certificate chain (${report.verifyError}).`,
      fix: 'Check the certificate chain the server sends (openssl s_client -showcerts) and its key usage and basic constraints.',
    });
  }
  if (isOutdatedTls(report.protocol)) {
    problems.push({
      code: 'TLS_FAILED',
      text: `The server only speaks ${report.protocol}, which is outdated and insecure (RFC 8996); this app, like current mail clients, needs TLS 1.2 or newer.`,
      fix: 'Enable TLS 1.2 and 1.3 on the server (Dovecot: ssl_min_protocol = TLSv1.2).',
    });
  }

  const trustLine =
    report.trust === 'pin' ? 'trusted because it matches the pinned fingerprint' : report.trust === 'ca' ? 'trusted: its chain leads to a certificate authority of the trust store' : 'not trusted';
  const details = [
    `Protocol ${report.protocol}, cipher ${report.cipher}, handshake ${report.handshakeMs} ms`,
    `Subject: ${cert.subject || '(empty)'}`,
    `Names (SAN): ${cert.sans.join(', ') || '(none)'}: ${report.hostMatches ? 'match' : 'do not match'} ${report.hostname}`,
    `Issuer: ${cert.issuer}${cert.selfSigned ? ' (self-signed)' : ''}`,
    `Chain: ${report.chain.map((c) => `${c.subject}${c.inTrustStore ? ' [trust store]' : ''}`).join(' <- ')}`,
    `Trust: ${trustLine}${report.verifyError ? `; OpenSSL says ${report.verifyError}` : ''}`,
    `Valid from ${cert.validFrom.slice(0, 10)} to ${cert.validTo.slice(0, 10)} (${cert.daysToExpiry} days left)`,
    `SHA-256 fingerprint: ${cert.sha256}`,
  ];
  if (report.pin) {
    details.push(`Pinned fingerprint: ${report.pin.expected} (${report.pin.matches ? 'matches' : 'does not match'})`);
  }

  if (problems.length) {
    return {
      status: 'fail',
      code: problems[0].code,
      summary: problems.map((p) => p.text).join(' '),
      details,
      fix: problems.map((p) => p.fix).join(' '),
      acceptable: false,
    };
  }
  const shortName = names.split(', ')[0];
  if (cert.daysToExpiry < 14) {
    return {
      status: 'warn',
      summary: `${report.protocol} with a certificate for ${shortName}, ${trustLine}, but it expires in ${cert.daysToExpiry} days (${cert.validTo.slice(0, 10)}).`,
      details,
      fix: 'Renew the certificate soon; if renewal is automated (certbot, acme.sh), check that it still runs.',
      acceptable: true,
    };
  }
  return {
    status: 'pass',
    summary: `${report.protocol} with a certificate for ${shortName}, ${trustLine}, valid for ${cert.daysToExpiry} more days.`,
    details,
    acceptable: true,
  };
}
