// What a TLS connection and its certificate look like, and whether the app would accept them. The
// handshake uses the app's own TLS options (tlsOptionsFor, as the session passes them to imapflow),
// with one change: rejectUnauthorized is off so that a refused certificate can still be described.
// Node's verdict on that same handshake (socket.authorized) is what the app would decide; the
// doctor's own reading of the chain (chainCheck.ts) says which certificate is at fault. When the two
// disagree, the check fails and says so: a diagnosis that passes what the app refuses is worse than none.
import { X509Certificate } from 'node:crypto';
import { type ConnectionOptions, checkServerIdentity, rootCertificates, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { MailError, type MailErrorCode } from '../errors';
import { servernameFor, summarizeCertificate, tlsOptionsFor } from '../tls';
import { analyseChain, type CertFacts, certFacts, type ChainAnalysis, type ChainProblem, explains } from './chainCheck';
import { type HandshakeCapture } from './sentChain';
import { type ChainEntry, type ChainFinding, type StepStatus, type TlsReport } from './types';

export interface TrustOptions {
  /** Extra trusted CAs (PEM), in addition to Node's store. */
  ca?: string[];
  /** A pinned SHA-256 fingerprint in Node's form (AB:CD:...). */
  pin?: string;
  /** The pinned certificate chain (PEM) as the account stores it; fetched like the session does when absent. */
  pinPem?: string;
}

/** Node's answer on a handshake: socket.authorized and socket.authorizationError. */
export interface NodeVerdict {
  authorized: boolean;
  /** OpenSSL's X509_V_ERR name, ERR_TLS_CERT_ALTNAME_INVALID, or ERR_PIN_MISMATCH; null when accepted. */
  error: string | null;
}

/** A second handshake with other options (a pin to try), on a fresh connection to the same address. */
export type Reverify = (options: ConnectionOptions) => Promise<(NodeVerdict & { sha256: string }) | undefined>;

/**
 * The options the session would use for this host and trust (src/core/tls.ts tlsOptionsFor, plus
 * the `host` imapflow adds so an IP literal is checked as itself), with rejectUnauthorized off so
 * the doctor can read what it then judges. `ca` adds to Node's store rather than replacing it.
 */
export function sessionTlsOptions(host: string, trust: TrustOptions, pin?: { sha256: string; pem: string }): ConnectionOptions {
  const pinned = pin ?? (trust.pin && trust.pinPem ? { sha256: trust.pin, pem: trust.pinPem } : undefined);
  const options = tlsOptionsFor(host, pinned, trust.ca?.length ? [...rootCertificates, ...trust.ca] : undefined);
  return { ...options, host, rejectUnauthorized: false };
}

export function nodeVerdictOf(socket: TLSSocket): NodeVerdict {
  return socket.authorized ? { authorized: true, error: null } : { authorized: false, error: String(socket.authorizationError ?? 'UNSPECIFIED') };
}

let systemAnchors: X509Certificate[] | undefined;

function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function anchorsFor(ca: string[] | undefined): X509Certificate[] {
  systemAnchors ??= rootCertificates.map((pem) => new X509Certificate(pem));
  return [...systemAnchors, ...(ca ?? []).flatMap(pemBlocks).map((pem) => new X509Certificate(pem))];
}

function entryOf(cert: CertFacts, index: number, anchors: Set<string>, sent: Set<string>): ChainEntry {
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    sha256: cert.sha256,
    validFrom: cert.notBefore.toISOString(),
    validTo: cert.notAfter.toISOString(),
    inTrustStore: anchors.has(cert.sha256),
    name: cert.name,
    role: index === 0 ? 'leaf' : cert.selfSigned ? 'root' : 'intermediate',
    sentByServer: sent.has(cert.sha256),
    selfSigned: cert.selfSigned,
    isCa: cert.isCa,
    signatureAlgorithm: cert.signatureAlgorithm,
    key: `${cert.keyType.toUpperCase()}${cert.keyBits ? ` ${cert.keyBits} bits` : ''}`,
  };
}

function finding(p: ChainProblem): ChainFinding {
  return { code: p.code, certificate: p.certificate, role: p.role, text: p.text, fix: p.fix };
}

/** Problems that only say the doctor could not see the anchor Node used (NODE_EXTRA_CA_CERTS, a store it cannot list). */
function onlyAnchorUnknown(analysis: ChainAnalysis): boolean {
  return analysis.problems.every((p) => p.code === 'MISSING_ISSUER' || p.code === 'UNTRUSTED_ROOT');
}

/**
 * Describes the TLS connection and its certificate, with Node's verdict for the options the app
 * uses (the pinned ones when a pin is given) and the doctor's own analysis of the chain. Throws only
 * when the server sent no certificate at all.
 */
export async function inspectTls(socket: TLSSocket, capture: HandshakeCapture | undefined, hostname: string, handshakeMs: number, trust: TrustOptions, reverify: Reverify, now = new Date()): Promise<TlsReport> {
  const peer = socket.getPeerCertificate(true);
  if (!peer || !peer.raw) {
    throw new MailError('TLS_FAILED', 'The server completed the TLS handshake without a certificate.');
  }
  const summary = summarizeCertificate(peer);
  const protocol = socket.getProtocol() ?? 'unknown';
  const cipher = socket.getCipher();
  const cipherName = cipher?.standardName || cipher?.name || 'unknown';
  const captured = capture?.certificates(protocol, cipherName);
  const sentAsSent = Boolean(captured?.length && certFacts(captured[0]).sha256 === peer.fingerprint256);
  // Node's linked chain ends with the root it found in its store when the server did not send one
  const storePrints = new Set(anchorsFor(trust.ca).map((a) => a.fingerprint256));
  const linked = pemBlocks(summary.pem).map((pem) => certFacts(pem));
  const sent = sentAsSent ? captured!.map((der) => certFacts(der)) : linked.filter((c, i) => !(i > 0 && i === linked.length - 1 && c.selfSigned && storePrints.has(c.sha256)));
  const leaf = sent[0];
  const verdict = nodeVerdictOf(socket);

  // with a pin the session trusts exactly the pinned chain: judge it by those anchors and Node's answer to them
  let pin: TlsReport['pin'];
  let anchors = anchorsFor(trust.ca);
  let nodeVerdict = verdict;
  if (trust.pin) {
    const matches = trust.pin === summary.sha256;
    const pinPem = trust.pinPem ?? summary.pem;
    anchors = matches || trust.pinPem ? pemBlocks(pinPem).map((pem) => new X509Certificate(pem)) : [];
    if (!matches) {
      nodeVerdict = { authorized: false, error: 'ERR_PIN_MISMATCH' };
    } else if (!trust.pinPem) {
      // the session would fetch the chain and pin it, as probeCertificate does: ask Node about exactly that
      const again = await reverify(sessionTlsOptions(hostname, trust, { sha256: trust.pin, pem: pinPem }));
      nodeVerdict = again && again.sha256 === summary.sha256 ? again : nodeVerdict;
    }
    pin = { expected: trust.pin, matches, ...(matches ? { nodeAccepts: nodeVerdict.authorized } : {}) };
  }
  const analysis = analyseChain(sent, sentAsSent, anchors, now);
  const anchorPrints = new Set(anchors.map((a) => a.fingerprint256));
  const sentPrints = new Set(sent.map((c) => c.sha256));
  const sniSent = servernameFor(hostname) !== undefined;
  const hostMatches = checkServerIdentity(isIP(hostname) ? hostname : hostname.toLowerCase(), peer) === undefined;

  const chainError = nodeVerdict.error && nodeVerdict.error !== 'ERR_TLS_CERT_ALTNAME_INVALID' && nodeVerdict.error !== 'ERR_PIN_MISMATCH' ? nodeVerdict.error : null;
  // Node accepting a chain whose anchor the doctor cannot see is no disagreement: its store is larger
  const pinMismatch = pin !== undefined && !pin.matches;
  const problems = pinMismatch || (!chainError && onlyAnchorUnknown(analysis)) ? [] : analysis.problems;
  const agrees = chainError ? problems.some((p) => explains(chainError, p.code)) : problems.length === 0;

  // Pinning is offered only where it would work: the session, pinned, would accept this very chain
  let pinnable = false;
  if (!trust.pin && chainError && (sniSent || hostMatches)) {
    const asPinned = analyseChain(sent, sentAsSent, pemBlocks(summary.pem).map((pem) => new X509Certificate(pem)), now);
    if (asPinned.problems.length === 0) {
      const again = await reverify(sessionTlsOptions(hostname, trust, { sha256: summary.sha256, pem: summary.pem }));
      pinnable = Boolean(again?.authorized && again.sha256 === summary.sha256);
    }
  }

  const path = analysis.path.map((c, i) => entryOf(c, i, anchorPrints, sentPrints));
  const validTo = leaf.notAfter;
  return {
    protocol,
    cipher: cipherName,
    handshakeMs,
    hostname,
    sniSent,
    hostMatches,
    certificate: {
      subject: summary.subject,
      issuer: summary.issuer,
      sans: (leaf.x509.subjectAltName ?? '').split(/,\s*/).filter(Boolean).map((s) => s.replace(/^IP Address:/, 'IP:')),
      validFrom: leaf.notBefore.toISOString(),
      validTo: validTo.toISOString(),
      daysToExpiry: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
      selfSigned: leaf.selfSigned,
      sha256: summary.sha256,
      pem: summary.pem,
    },
    chain: path,
    sentChain: sentAsSent ? sent.map((c, i) => entryOf(c, i, anchorPrints, sentPrints)) : null,
    trust: pin?.matches && nodeVerdict.authorized ? 'pin' : !trust.pin && !chainError ? 'ca' : 'none',
    verifyError: nodeVerdict.error,
    chainCheck: { problems: problems.map(finding), warnings: analysis.warnings.map(finding), agreesWithNode: agrees },
    pinnable,
    ...(pin ? { pin } : {}),
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

/** TLS 1.0 and 1.1 are deprecated by RFC 8996; Node, and so this app, refuse anything below 1.2. */
export function isOutdatedTls(protocol: string): boolean {
  return /^(?:SSLv|TLSv1$|TLSv1\.[01]$)/.test(protocol);
}

/** What OpenSSL's verdict codes mean, for the one case the doctor cannot explain itself. */
const NODE_CODE_WORDS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'a certificate of the chain has expired',
  CERT_NOT_YET_VALID: 'a certificate of the chain is not valid yet',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the issuer of the server\'s certificate was not found',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of a certificate was not found',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of a certificate is not in the trust store',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends at a root that is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  CERT_SIGNATURE_FAILURE: 'a signature in the chain does not verify',
  INVALID_CA: 'a certificate that is no CA signed another',
  INVALID_PURPOSE: 'a certificate is not meant for TLS servers',
  PATH_LENGTH_EXCEEDED: 'the chain is longer than a CA allows',
  CERT_REVOKED: 'a certificate was revoked',
  CERT_UNTRUSTED: 'the root is not trusted for this purpose',
  CERT_REJECTED: 'the root is marked to reject this purpose',
  UNSPECIFIED: 'a rule Node does not name (key usage, name constraints, a weak signature or key)',
};

function codeFor(problem: ChainFinding): MailErrorCode {
  return problem.code === 'CERT_HAS_EXPIRED' || problem.code === 'CERT_NOT_YET_VALID' ? 'TLS_EXPIRED' : 'TLS_UNTRUSTED';
}

export function judgeTls(report: TlsReport): TlsJudgement {
  const cert = report.certificate;
  const problems: Array<{ code: MailErrorCode; text: string; fix: string }> = [];
  const pinned = report.trust === 'pin';
  const names = cert.sans.length ? cert.sans.map((s) => s.replace(/^(DNS|IP):/, '')).join(', ') : (/(?:^|, )CN=([^,]*)/.exec(cert.subject)?.[1] ?? cert.subject);
  const chainError = report.verifyError && report.verifyError !== 'ERR_TLS_CERT_ALTNAME_INVALID' && report.verifyError !== 'ERR_PIN_MISMATCH' ? report.verifyError : null;
  const pinAdvice = report.pinnable
    ? ` For your own server you can instead compare the SHA-256 fingerprint ${cert.sha256} with the server's (openssl x509 -noout -fingerprint -sha256 -in cert.pem) and pin it (--pin, or "Trust this certificate" in VS Code).`
    : '';

  if (report.pin && !report.pin.matches) {
    problems.push({
      code: 'TLS_PIN_MISMATCH',
      text: `The certificate is not the pinned one: the pin is ${report.pin.expected}, the server shows ${cert.sha256}.`,
      fix: 'If the certificate was replaced on purpose, confirm the new fingerprint with the server administrator and pin it again. If not, someone may be intercepting the connection: do not log in.',
    });
  }
  const noSni = !report.sniSent && !report.hostMatches && !pinned && !(report.pin && !report.pin.matches);
  if (noSni) {
    // An SNI front end (a proxy or a shared host) picks the certificate by the name the client
    // sends; an IP address sends none, so it shows a default. Pinning that default would be harmful.
    problems.push({
      code: 'TLS_HOSTNAME',
      text: `No server name was sent (SNI) because ${report.hostname} is an IP address, and the server answered with a certificate for "${names}"${cert.selfSigned ? ' (self-signed)' : ''}, not for ${report.hostname}: a server that hosts several names picks its certificate by the name the client sends, and shows a default without one. If the certificate names a real host of yours instead, it simply does not list the IP address; openssl s_client -connect ${report.hostname} -servername <host name> tells the two apart.`,
      fix: 'Connect by the server\'s host name, not by its IP address: the app then sends that name and checks the certificate against it. Do not pin this certificate: it is the server\'s default, not the one for your mail host.',
    });
  }
  if (report.pin?.matches && !pinned) {
    // the account trusts exactly the pinned chain (tlsOptionsFor): OpenSSL still wants it to end at
    // a self-signed certificate among the pinned ones, and still checks every date
    problems.push({
      code: 'TLS_UNTRUSTED',
      text: `The certificate is the pinned one, but the app cannot use the pin: Node's TLS refuses the pinned chain (${report.verifyError}).`,
      fix: 'Pinning works for a self-signed certificate, or a chain the server sends up to its root. For a certificate from your own CA, trust the CA instead (NODE_EXTRA_CA_CERTS, or --ca for this check) and remove the pin.',
    });
  }
  if (!pinned && !noSni) {
    const found = report.chainCheck.problems;
    const explaining = chainError ? found.filter((p) => report.chainCheck.agreesWithNode && explainsLoosely(chainError, p.code)) : [];
    const ordered = [...explaining, ...found.filter((p) => !explaining.includes(p))];
    for (const [i, p] of ordered.entries()) {
      problems.push({ code: codeFor(p), text: p.text, fix: `${p.fix.replace(/^./, (c) => c.toUpperCase())}${i === 0 && (p.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || p.code === 'UNTRUSTED_ROOT' || p.code === 'MISSING_ISSUER') ? pinAdvice : ''}` });
    }
    if (chainError && !report.chainCheck.agreesWithNode) {
      const words = NODE_CODE_WORDS[chainError] ?? 'a reason the doctor does not know';
      problems.push({
        code: 'TLS_UNTRUSTED',
        text: `Unexpected answer: Node's TLS, which this app uses, refuses the certificate chain (${chainError}: ${words}), ${found.length ? 'for another reason than the ones above' : `but the doctor's own check of the ${report.chain.length} certificate${report.chain.length === 1 ? '' : 's'} (${report.chain.map((c) => `'${c.name}'`).join(', ')}) finds nothing wrong`}.`,
        fix: `The app will refuse this server as it is. Compare with openssl s_client -showcerts -verify_return_error (below), which names the certificate at fault, and fix the chain the server sends.`,
      });
    }
    if (!chainError && found.length) {
      problems.push({
        code: 'TLS_UNTRUSTED',
        text: `Unexpected answer: Node's TLS accepts the certificate chain, although the doctor's own check finds the problem${found.length === 1 ? '' : 's'} above: it may have found another path to a trusted root, which other clients do not find.`,
        fix: 'Fix the chain the server sends so that every client accepts it.',
      });
    }
  }
  if (!pinned && !noSni && !report.hostMatches) {
    problems.push({
      code: 'TLS_HOSTNAME',
      text: `The certificate is for ${names}, not for ${report.hostname}.`,
      fix: `Connect with a name the certificate lists${cert.sans[0] ? ` (${cert.sans[0].replace(/^(DNS|IP):/, '')})` : ''}, or get a certificate that includes ${report.hostname}.`,
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
    `Names (SAN): ${cert.sans.join(', ') || '(none)'}: ${report.hostMatches ? 'match' : 'do not match'} ${report.hostname}${report.sniSent ? '' : ' (an IP address: no server name (SNI) was sent)'}`,
    `Issuer: ${cert.issuer}${cert.selfSigned ? ' (self-signed)' : ''}`,
    `Sent by the server: ${report.sentChain ? report.sentChain.map((c) => `'${c.name}' (until ${c.validTo.slice(0, 10)})`).join(', ') : '(not readable from the handshake; the chain below is the one Node linked)'}`,
    `Chain: ${report.chain.map((c) => `${c.name} (${c.role}, until ${c.validTo.slice(0, 10)}${c.inTrustStore ? ', trust store' : ''})`).join(' <- ')}`,
    `Node's TLS, as this app uses it: ${report.verifyError ? `refuses it (${report.verifyError})` : 'accepts it'}; the doctor's own check: ${report.chainCheck.problems.length ? report.chainCheck.problems.map((p) => p.code).join(', ') : 'no problem'}${report.chainCheck.agreesWithNode ? '' : ' (they disagree)'}`,
    `Trust: ${trustLine}`,
    `Valid from ${cert.validFrom.slice(0, 10)} to ${cert.validTo.slice(0, 10)} (${cert.daysToExpiry} days left)`,
    `SHA-256 fingerprint: ${cert.sha256}`,
  ];
  if (report.pin) {
    details.push(`Pinned fingerprint: ${report.pin.expected} (${report.pin.matches ? 'matches' : 'does not match'})`);
  }
  details.push(...report.chainCheck.warnings.map((w) => `Warning: ${w.text}`));

  if (problems.length) {
    return {
      status: 'fail',
      code: problems[0].code,
      summary: problems.map((p) => p.text).join(' '),
      details,
      fix: [...new Set(problems.map((p) => p.fix))].join(' '),
      acceptable: false,
    };
  }
  const shortName = names.split(', ')[0];
  const warning = report.chainCheck.warnings[0];
  if (cert.daysToExpiry < 14) {
    return {
      status: 'warn',
      summary: `${report.protocol} with a certificate for ${shortName}, ${trustLine}, but it expires in ${cert.daysToExpiry} days (${cert.validTo.slice(0, 10)}).`,
      details,
      fix: 'Renew the certificate soon; if renewal is automated (certbot, acme.sh), check that it still runs.',
      acceptable: true,
    };
  }
  if (warning) {
    return { status: 'warn', summary: `${warning.text} Otherwise ${report.protocol} with a certificate for ${shortName}, ${trustLine}.`, details, fix: warning.fix.replace(/^./, (c) => c.toUpperCase()), acceptable: true };
  }
  return {
    status: 'pass',
    summary: `${report.protocol} with a certificate for ${shortName}, ${trustLine}, valid for ${cert.daysToExpiry} more days.`,
    details,
    acceptable: true,
  };
}

function explainsLoosely(nodeCode: string, code: string): boolean {
  return explains(nodeCode, code as ChainProblem['code']);
}
