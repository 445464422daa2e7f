// The doctor's own reading of a certificate chain, next to Node's verdict: which certificates the
// server sent, the path from its certificate to a trust anchor (built the way OpenSSL 1.1+ builds
// it, trust store first), and every rule of RFC 5280 6.1 and OpenSSL's security level 1 that Node
// applies, each tied to the certificate that breaks it. Node says only *that* a chain fails, and for
// several rules only "UNSPECIFIED"; this says *which* certificate fails and why, so that the advice
// can name it. The verdict that counts stays Node's: certificate.ts compares the two.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_nameConstraints,
  KeyUsage,
  NameConstraints,
} from '@peculiar/asn1-x509';

export type CertificateRole = 'leaf' | 'intermediate' | 'root';

/**
 * A chain problem in OpenSSL's X509_V_ERR vocabulary (without the prefix), so that it can be set
 * against Node's authorizationError; MISSING_ISSUER and UNTRUSTED_ROOT are the doctor's finer names
 * for the UNABLE_TO_GET_ISSUER_CERT family and SELF_SIGNED_CERT_IN_CHAIN.
 */
export type ChainProblemCode =
  | 'CERT_HAS_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'MISSING_ISSUER'
  | 'WRONG_ISSUER_KEY'
  | 'UNTRUSTED_ROOT'
  | 'DEPTH_ZERO_SELF_SIGNED_CERT'
  | 'INVALID_CA'
  | 'KEYUSAGE_NO_CERTSIGN'
  | 'PATH_LENGTH_EXCEEDED'
  | 'NAME_CONSTRAINT_VIOLATION'
  | 'INVALID_PURPOSE'
  | 'MD_TOO_WEAK'
  | 'KEY_TOO_SMALL';

export interface ChainProblem {
  code: ChainProblemCode;
  /** The certificate at fault, by name ("R11", "mail.example.com"). */
  certificate: string;
  role: CertificateRole;
  /** One sentence that names the certificate and gives the evidence (a date, a field). */
  text: string;
  /** What to do about it. */
  fix: string;
}

/** What the doctor reads out of one certificate. */
export interface CertFacts {
  x509: X509Certificate;
  /** The common name, or the whole subject when there is none. */
  name: string;
  subject: string;
  issuer: string;
  sha256: string;
  notBefore: Date;
  notAfter: Date;
  /** Subject and issuer are the same name and its own key verifies its signature. */
  selfSigned: boolean;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
  pathLength: number | undefined;
  /** undefined when the certificate has no key usage extension (then every use is allowed). */
  keyUsage: string[] | undefined;
  /** Extended key usage OIDs; undefined when absent (then every purpose is allowed). */
  extendedKeyUsage: string[] | undefined;
  signatureAlgorithm: string;
  /** The signature uses MD5 or SHA-1, which OpenSSL 3 refuses at security level 1. */
  weakSignature: boolean;
  keyType: string;
  keyBits: number | undefined;
  nameConstraints: { permitted: string[]; excluded: string[] } | undefined;
  /** DNS names and IP addresses the certificate is for (SAN, or the CN when there is no SAN). */
  names: string[];
  /** Where its issuer's certificate can be fetched (Authority Information Access, CA Issuers), as public CAs publish it. */
  caIssuersUrl: string | undefined;
}

export interface ChainAnalysis {
  /** What the server sent, in its order (Node's linked chain when the handshake could not be read). */
  sent: CertFacts[];
  /** Whether `sent` is the server's own list (true) or Node's reconstruction. */
  sentAsSent: boolean;
  /** The verification path, the server's certificate first; ends at the anchor when one was reached. */
  path: CertFacts[];
  /** The trust anchor the path ends at, when it reached one. */
  anchor: CertFacts | undefined;
  /** Problems that make a client refuse the chain, most telling first. */
  problems: ChainProblem[];
  /** Things that do not stop this app but are wrong or risky for other clients. */
  warnings: ChainProblem[];
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';

const SIGNATURES: Record<string, { name: string; weak: boolean }> = {
  '1.2.840.113549.1.1.2': { name: 'MD2 with RSA', weak: true },
  '1.2.840.113549.1.1.4': { name: 'MD5 with RSA', weak: true },
  '1.2.840.113549.1.1.5': { name: 'SHA-1 with RSA', weak: true },
  '1.2.840.113549.1.1.11': { name: 'SHA-256 with RSA', weak: false },
  '1.2.840.113549.1.1.12': { name: 'SHA-384 with RSA', weak: false },
  '1.2.840.113549.1.1.13': { name: 'SHA-512 with RSA', weak: false },
  '1.2.840.113549.1.1.10': { name: 'RSA-PSS', weak: false },
  '1.2.840.10045.4.1': { name: 'ECDSA with SHA-1', weak: true },
  '1.2.840.10045.4.3.2': { name: 'ECDSA with SHA-256', weak: false },
  '1.2.840.10045.4.3.3': { name: 'ECDSA with SHA-384', weak: false },
  '1.2.840.10045.4.3.4': { name: 'ECDSA with SHA-512', weak: false },
  '1.2.840.10040.4.3': { name: 'DSA with SHA-1', weak: true },
  '1.3.101.112': { name: 'Ed25519', weak: false },
  '1.3.101.113': { name: 'Ed448', weak: false },
};

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
};

function displayName(dn: string): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(dn);
  return cn ? cn[1] : dn.replace(/\n/g, ', ');
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Reads the facts of one DER or PEM certificate. */
export function certFacts(input: Buffer | string | X509Certificate): CertFacts {
  const x509 = input instanceof X509Certificate ? input : new X509Certificate(input);
  const parsed = AsnConvert.parse(x509.raw, Certificate);
  let isCa = false;
  let pathLength: number | undefined;
  let keyUsage: string[] | undefined;
  let extendedKeyUsage: string[] | undefined;
  let nameConstraints: CertFacts['nameConstraints'];
  for (const ext of parsed.tbsCertificate.extensions ?? []) {
    try {
      if (ext.extnID === id_ce_basicConstraints) {
        const bc = AsnConvert.parse(ext.extnValue, BasicConstraints);
        isCa = bc.cA;
        pathLength = bc.pathLenConstraint;
      } else if (ext.extnID === id_ce_keyUsage) {
        keyUsage = AsnConvert.parse(ext.extnValue, KeyUsage).toJSON();
      } else if (ext.extnID === id_ce_extKeyUsage) {
        extendedKeyUsage = [...AsnConvert.parse(ext.extnValue, ExtendedKeyUsage)];
      } else if (ext.extnID === id_ce_nameConstraints) {
        const nc = AsnConvert.parse(ext.extnValue, NameConstraints);
        const names = (subtrees: typeof nc.permittedSubtrees) =>
          [...(subtrees ?? [])].map((s) => s.base.dNSName ?? s.base.iPAddress).filter((n): n is string => Boolean(n));
        nameConstraints = { permitted: names(nc.permittedSubtrees), excluded: names(nc.excludedSubtrees) };
      }
    } catch {
      // an extension that does not parse is left to OpenSSL to judge
    }
  }
  const signature = SIGNATURES[parsed.signatureAlgorithm.algorithm] ?? { name: parsed.signatureAlgorithm.algorithm, weak: false };
  const key = x509.publicKey;
  const details = key.asymmetricKeyDetails;
  const sans = (x509.subjectAltName ?? '')
    .split(/,\s*/)
    .map((s) => /^(?:DNS:(.+)|IP Address:(.+))$/.exec(s))
    .filter((m): m is RegExpExecArray => Boolean(m))
    .map((m) => (m[1] ?? m[2]).toLowerCase());
  const name = displayName(x509.subject);
  let selfSigned = false;
  if (x509.subject === x509.issuer) {
    try {
      selfSigned = x509.verify(x509.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  return {
    x509,
    name,
    subject: x509.subject.replace(/\n/g, ', '),
    issuer: x509.issuer.replace(/\n/g, ', '),
    sha256: x509.fingerprint256,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    selfSigned,
    isCa,
    pathLength,
    keyUsage,
    extendedKeyUsage,
    signatureAlgorithm: signature.name,
    weakSignature: signature.weak,
    keyType: key.asymmetricKeyType ?? 'unknown',
    keyBits: details?.modulusLength,
    nameConstraints,
    names: sans.length ? sans : /^[a-z0-9*.-]+$/i.test(name) ? [name.toLowerCase()] : [],
    caIssuersUrl: /CA Issuers - URI:(\S+)/.exec(x509.infoAccess ?? '')?.[1],
  };
}

/** RFC 5280 4.2.1.10 for DNS names: "example.org" covers it and its subdomains, ".example.org" only subdomains. */
function dnsWithin(name: string, constraint: string): boolean {
  const c = constraint.toLowerCase();
  if (c.startsWith('.')) {
    return name.endsWith(c);
  }
  return name === c || name.endsWith(`.${c}`);
}

/** An IPv4 address inside "net/prefix" or "net/mask" (how the ASN.1 reader gives iPAddress constraints). */
function ipWithin(address: string, constraint: string): boolean {
  const [net, mask] = constraint.split('/');
  if (isIP(address) !== 4 || isIP(net) !== 4 || !mask) {
    return false;
  }
  const toInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const bits = mask.includes('.') ? toInt(mask) : Number(mask) === 0 ? 0 : (0xffffffff << (32 - Number(mask))) >>> 0;
  return ((toInt(address) & bits) >>> 0) === ((toInt(net) & bits) >>> 0);
}

function withinConstraint(name: string, constraint: string): boolean {
  return constraint.includes('/') ? ipWithin(name, constraint) : !isIP(name) && dnsWithin(name, constraint);
}

function verifies(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Whether `issuer` signed `subject`: the names match and the issuer's key verifies the signature. */
function signs(subject: CertFacts, issuer: CertFacts): boolean {
  return subject.x509.issuer === issuer.x509.subject && verifies(subject.x509, issuer.x509);
}

function roleOf(index: number, cert: CertFacts): CertificateRole {
  return index === 0 ? 'leaf' : cert.selfSigned ? 'root' : 'intermediate';
}

const ROLE_WORDS: Record<CertificateRole, string> = { leaf: 'The server\'s certificate', intermediate: 'The intermediate', root: 'The root certificate' };

function named(index: number, cert: CertFacts): string {
  return `${ROLE_WORDS[roleOf(index, cert)]} '${cert.name}'`;
}

const FULLCHAIN = 'install the current chain (fullchain) and reload the server';

/**
 * Builds and checks the path from the server's certificate to one of `anchors` (the trust store,
 * or the pinned chain). `sent` is the server's list, leaf first. OpenSSL accepts a trust anchor
 * only when it is self-signed (Node does not set X509_V_FLAG_PARTIAL_CHAIN), so a pinned
 * intermediate without its root is no anchor here either.
 */
export function analyseChain(sent: CertFacts[], sentAsSent: boolean, anchors: X509Certificate[], now = new Date()): ChainAnalysis {
  const problems: ChainProblem[] = [];
  const warnings: ChainProblem[] = [];
  const anchorPrints = new Set(anchors.map((a) => a.fingerprint256));
  // the trust store holds over a hundred roots: read only the ones the path reaches
  const anchorFacts = new Map<string, CertFacts>();
  const factsOf = (a: X509Certificate) => anchorFacts.get(a.fingerprint256) ?? anchorFacts.set(a.fingerprint256, certFacts(a)).get(a.fingerprint256)!;
  const leaf = sent[0];
  const path: CertFacts[] = [leaf];
  let anchor: CertFacts | undefined;
  for (let current = leaf; path.length <= 10; ) {
    if (anchorPrints.has(current.sha256) && current.selfSigned) {
      anchor = current;
      break;
    }
    // trusted first, as OpenSSL 1.1+ does: an issuer from the store beats one the server sent
    const fromStore = anchors.find((a) => !path.some((c) => c.sha256 === a.fingerprint256) && a.subject === current.x509.issuer && verifies(current.x509, a));
    if (fromStore) {
      const facts = factsOf(fromStore);
      path.push(facts);
      current = facts;
      continue;
    }
    const index = path.length - 1;
    if (current.selfSigned) {
      problems.push(
        index === 0
          ? { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', certificate: current.name, role: 'leaf', text: `The server's certificate '${current.name}' is self-signed: no certificate authority vouches for it, so anyone could have made it.`, fix: 'Install a certificate from a public CA on the server (Let\'s Encrypt is free).' }
          : {
              code: 'UNTRUSTED_ROOT',
              certificate: current.name,
              role: 'root',
              text: `The chain ends at the root '${current.name}', which the server sends itself but which is not in this computer's trust store.`,
              fix: `If '${current.name}' is your organisation's own CA, add it to the trust store (NODE_EXTRA_CA_CERTS, or --ca for this check); if it is not, do not trust this server: anyone can make a root of that name.`,
            },
      );
      break;
    }
    const byName = sent.filter((c) => !path.includes(c) && c.x509.subject === current.x509.issuer);
    const next = byName.find((c) => signs(current, c));
    if (next) {
      path.push(next);
      current = next;
      continue;
    }
    const issuerName = displayName(current.x509.issuer);
    if (byName.length) {
      const impostor = byName[0];
      problems.push({
        code: 'WRONG_ISSUER_KEY',
        certificate: impostor.name,
        role: 'intermediate',
        text: `The server sends an intermediate named '${impostor.name}' (valid until ${day(impostor.notAfter)}), but it did not sign ${index === 0 ? 'the server\'s certificate' : `'${current.name}'`}: it is another certificate of the same name, typically an old one kept after the CA renewed it; ${FULLCHAIN}.`,
        fix: 'Replace the chain file with the one that came with this certificate (fullchain.pem) and reload the server.',
      });
    } else {
      const others = sent.filter((c) => !path.includes(c));
      const unrelated = index === 0 && others.length ? others : [];
      const missingIntermediate: ChainProblem = unrelated.length
        ? {
            code: 'MISSING_ISSUER',
            certificate: issuerName,
            role: 'intermediate',
            text: `The server sends the intermediate ${unrelated.map((c) => `'${c.name}'`).join(', ')}, but its certificate '${leaf.name}' was issued by '${issuerName}', which it does not send: the chain file belongs to another certificate; ${FULLCHAIN}.`,
            fix: 'Replace the chain file with the one that came with this certificate (fullchain.pem as Dovecot\'s ssl_cert) and reload the server.',
          }
        : leaf.caIssuersUrl
          ? {
              code: 'MISSING_ISSUER',
              certificate: issuerName,
              role: 'intermediate',
              text: `The server sends only its own certificate '${leaf.name}', not the intermediate '${issuerName}' that issued it: install the full chain (fullchain) and reload the server.`,
              fix: `Configure the server to send its certificate followed by its intermediates (fullchain.pem as Dovecot's ssl_cert, not cert.pem) and reload it. The certificate itself names its issuer's file (${leaf.caIssuersUrl}): browsers fetch or cache it and hide the mistake; mail clients do not.`,
            }
          : {
              code: 'MISSING_ISSUER',
              certificate: issuerName,
              role: index === 0 ? 'intermediate' : 'root',
              text: `The server sends only its own certificate '${leaf.name}', issued by '${issuerName}', which it does not send and which this computer does not trust.`,
              fix: `Two causes fit. If '${issuerName}' is an intermediate of a public CA, the server must send it: install the full chain (fullchain.pem as Dovecot's ssl_cert) and reload the server. If it is your organisation's own CA, add it to this computer's trust store (NODE_EXTRA_CA_CERTS, or --ca for this check). The certificate names no place to fetch its issuer (no Authority Information Access), which private CAs often leave out and public CAs include.`,
            };
      problems.push(
        index === 0
          ? missingIntermediate
          : {
              code: 'MISSING_ISSUER',
              certificate: issuerName,
              role: 'root',
              text: `The chain the server sends ends at '${current.name}', issued by '${issuerName}', which is neither sent nor in this computer's trust store.`,
              fix: `If '${issuerName}' is your organisation's own CA, add it to the trust store (NODE_EXTRA_CA_CERTS, or --ca for this check); if it is a public CA, this computer's trust store is out of date (update Node.js), or the server lacks a cross-signed intermediate of its CA.`,
            },
      );
      break;
    }
    break;
  }

  // dates, on every certificate of the path, the anchor included (OpenSSL checks them all)
  path.forEach((cert, i) => {
    const role = roleOf(i, cert);
    const who = named(i, cert);
    const inStore = cert === anchor && i > 0;
    if (cert.notAfter < now) {
      const days = Math.floor((now.getTime() - cert.notAfter.getTime()) / 86_400_000);
      problems.push({
        code: 'CERT_HAS_EXPIRED',
        certificate: cert.name,
        role,
        text: `${who}${inStore ? ' in this computer\'s trust store' : ''} expired on ${day(cert.notAfter)} (${days} days ago): ${role === 'leaf' ? 'renew it and reload the server' : FULLCHAIN}.`,
        fix:
          role === 'leaf'
            ? 'Renew the certificate and reload the server so it uses the new file (automatic renewal may have stopped working).'
            : inStore
              ? `The server's chain leads to a root that has expired: ${FULLCHAIN}, so that it leads to the CA's current root (the chain file that came with the certificate, e.g. fullchain.pem as Dovecot's ssl_cert).`
              : `The server still sends an intermediate its CA has replaced: ${FULLCHAIN} (the chain file that came with the certificate, e.g. fullchain.pem as Dovecot's ssl_cert).`,
      });
    } else if (cert.notBefore > now) {
      problems.push({
        code: 'CERT_NOT_YET_VALID',
        certificate: cert.name,
        role,
        text: `${who} is not valid before ${cert.notBefore.toISOString()}; this computer's clock says ${now.toISOString()}.`,
        fix: 'If this computer\'s clock is right, the certificate was installed before its start date: install one valid now. If the clock is wrong, set it right (and check the server\'s clock too).',
      });
    }
  });

  // what each issuer may vouch for
  for (let i = 1; i < path.length; i++) {
    const issuer = path[i];
    const subject = path[i - 1];
    const who = named(i, issuer);
    if (!issuer.isCa) {
      problems.push({ code: 'INVALID_CA', certificate: issuer.name, role: roleOf(i, issuer), text: `${who} is not a CA certificate (no basicConstraints CA:TRUE), so it cannot vouch for '${subject.name}': the server sends a wrong file as its chain.`, fix: `Send the intermediates your CA issued with this certificate: ${FULLCHAIN}.` });
    } else if (issuer.keyUsage && !issuer.keyUsage.includes('keyCertSign')) {
      problems.push({ code: 'KEYUSAGE_NO_CERTSIGN', certificate: issuer.name, role: roleOf(i, issuer), text: `${who} may not sign certificates (its key usage is ${issuer.keyUsage.join(', ')}, without keyCertSign).`, fix: `The chain holds a certificate that is no CA for this one: ${FULLCHAIN} as your CA publishes it.` });
    }
    // RFC 5280 4.2.1.9: pathlen counts the non-self-issued intermediates that follow it
    const intermediatesBelow = path.slice(1, i).filter((c) => c.x509.subject !== c.x509.issuer).length;
    if (issuer.pathLength !== undefined && intermediatesBelow > issuer.pathLength) {
      problems.push({ code: 'PATH_LENGTH_EXCEEDED', certificate: issuer.name, role: roleOf(i, issuer), text: `${who} allows ${issuer.pathLength} intermediate${issuer.pathLength === 1 ? '' : 's'} below it (pathlen), but the chain has ${intermediatesBelow}.`, fix: `The chain does not fit the CA's rules: ${FULLCHAIN} as your CA publishes it.` });
    }
    if (issuer.nameConstraints) {
      const { permitted, excluded } = issuer.nameConstraints;
      // the names that matter are the server's: a constrained CA's intermediates carry none
      const outside = leaf.names.filter((n) => (permitted.length && !permitted.some((p) => withinConstraint(n, p))) || excluded.some((e) => withinConstraint(n, e)));
      if (outside.length) {
        problems.push({
          code: 'NAME_CONSTRAINT_VIOLATION',
          certificate: issuer.name,
          role: roleOf(i, issuer),
          text: `${who} may only issue certificates for ${permitted.join(', ') || 'any name'}${excluded.length ? ` except ${excluded.join(', ')}` : ''} (name constraints), but the server's certificate '${leaf.name}' is for ${outside.join(', ')}.`,
          fix: 'Get a certificate for this name from a CA that may issue it: a name-constrained CA (an organisation\'s own) covers only its own domains.',
        });
      }
    }
  }
  // purpose: the server's certificate, and every CA above it that restricts its own (OpenSSL checks both)
  path.forEach((cert, i) => {
    if (cert.extendedKeyUsage && !cert.extendedKeyUsage.includes(SERVER_AUTH) && !cert.extendedKeyUsage.includes(ANY_EKU) && cert !== anchor) {
      const usages = cert.extendedKeyUsage.map((o) => EKU_NAMES[o] ?? o).join(', ');
      problems.push({ code: 'INVALID_PURPOSE', certificate: cert.name, role: roleOf(i, cert), text: `${named(i, cert)} is not meant for TLS servers (extended key usage ${usages}, without serverAuth).`, fix: 'Get a certificate issued for server authentication (serverAuth) and install it with its chain.' });
    }
  });
  if (leaf.keyUsage && !['digitalSignature', 'keyEncipherment', 'keyAgreement'].some((u) => leaf.keyUsage!.includes(u))) {
    problems.push({ code: 'INVALID_PURPOSE', certificate: leaf.name, role: 'leaf', text: `The server's certificate '${leaf.name}' may not be used for a TLS handshake (key usage ${leaf.keyUsage.join(', ')}).`, fix: 'Get a certificate whose key usage allows digitalSignature (and keyEncipherment for RSA).' });
  }
  // security level 1, Node's default: no MD5/SHA-1 signatures below the anchor, keys of 1024 bits at least
  path.forEach((cert, i) => {
    if (cert.weakSignature && !(cert === anchor && cert.selfSigned)) {
      problems.push({ code: 'MD_TOO_WEAK', certificate: cert.name, role: roleOf(i, cert), text: `${named(i, cert)} is signed with ${cert.signatureAlgorithm}, which Node's TLS (and so this app) refuses as too weak.`, fix: roleOf(i, cert) === 'leaf' ? 'Have the certificate issued again with SHA-256.' : `Its CA has a SHA-256 replacement: ${FULLCHAIN}.` });
    }
    if ((cert.keyType === 'rsa' || cert.keyType === 'dsa') && cert.keyBits !== undefined) {
      if (cert.keyBits < 1024) {
        problems.push({ code: 'KEY_TOO_SMALL', certificate: cert.name, role: roleOf(i, cert), text: `${named(i, cert)} has a ${cert.keyBits}-bit ${cert.keyType.toUpperCase()} key, which Node's TLS (and so this app) refuses as too small.`, fix: 'Make a new key of 2048 bits or more and have the certificate issued again.' });
      } else if (cert.keyBits < 2048) {
        warnings.push({ code: 'KEY_TOO_SMALL', certificate: cert.name, role: roleOf(i, cert), text: `${named(i, cert)} has a ${cert.keyBits}-bit ${cert.keyType.toUpperCase()} key: this app accepts it, but clients at OpenSSL security level 2 (the default of Debian and Ubuntu) refuse keys under 2048 bits.`, fix: 'Make a new key of 2048 bits or more and have the certificate issued again.' });
      }
    }
  });

  // certificates sent that the path does not use: harmless here, trouble for clients that follow them
  if (sentAsSent && !problems.some((p) => p.code === 'MISSING_ISSUER' && p.role === 'intermediate')) {
    for (const extra of sent.filter((c) => !path.includes(c))) {
      if (extra.notAfter < now) {
        warnings.push({
          code: 'CERT_HAS_EXPIRED',
          certificate: extra.name,
          role: extra.selfSigned ? 'root' : 'intermediate',
          text: `The server also sends '${extra.name}', which expired on ${day(extra.notAfter)} and is not part of the chain: this app ignores it, but clients that follow the chain as sent may refuse it.`,
          fix: `Remove '${extra.name}' from the chain file: ${FULLCHAIN}.`,
        });
      }
    }
  }
  // the one the server stumbles over first is the one to name first
  const order: ChainProblemCode[] = ['MISSING_ISSUER', 'WRONG_ISSUER_KEY', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNTRUSTED_ROOT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'];
  problems.sort((a, b) => (order.indexOf(a.code) + 1 || order.length + 1) - (order.indexOf(b.code) + 1 || order.length + 1));
  return { sent, sentAsSent, path, anchor, problems, warnings };
}

/** Node's (OpenSSL's) verdict codes and the doctor's problems that explain them. */
export function explains(nodeCode: string, problem: ChainProblemCode): boolean {
  switch (nodeCode) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'PATH_LENGTH_EXCEEDED':
      return problem === nodeCode;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
      return problem === 'MISSING_ISSUER' || problem === 'WRONG_ISSUER_KEY' || problem === 'UNTRUSTED_ROOT';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return problem === 'UNTRUSTED_ROOT' || problem === 'DEPTH_ZERO_SELF_SIGNED_CERT';
    case 'INVALID_CA':
    case 'INVALID_PURPOSE':
      return problem === 'INVALID_CA' || problem === 'INVALID_PURPOSE' || problem === 'KEYUSAGE_NO_CERTSIGN';
    case 'UNSPECIFIED':
      // Node names only the X509_V_ERR codes of its own table; the rest arrive as UNSPECIFIED
      return ['KEYUSAGE_NO_CERTSIGN', 'NAME_CONSTRAINT_VIOLATION', 'MD_TOO_WEAK', 'KEY_TOO_SMALL'].includes(problem);
    default:
      return false;
  }
}
