// Test certificates made with the openssl command line: a private CA, certificates it signs, and
// self-signed ones. Everything lands in a folder the caller owns.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
  /** PEM text of the certificate. */
  pem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const SAN_LOCAL = 'subjectAltName=DNS:localhost,IP:127.0.0.1';
/** Long enough that the doctor's "expires soon" warning (under 14 days) is about the tests that want it. */
const DAYS = '90';

export function selfSignedCert(dir: string, name = 'self', subjectAltName = SAN_LOCAL, days = Number(DAYS)): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', String(days),
    '-subj', '/CN=localhost', '-addext', subjectAltName], dir);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export function testCa(dir: string, name = 'ca'): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', DAYS,
    '-subj', `/CN=IMAP Explorer Test CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export function caSignedCert(dir: string, ca: CertFiles, name = 'server', subjectAltName = SAN_LOCAL, days = Number(DAYS)): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost'], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert,
    '-days', String(days), '-extfile', ext], dir);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

/**
 * A certificate signed by the CA with validity dates of our choosing (YYYYMMDDHHMMSSZ): an
 * expired one, or one not valid yet. `openssl x509 -req` can only count days from now, so this
 * goes through `openssl ca`, which takes explicit dates and needs a throwaway database.
 */
export function caSignedCertWithDates(dir: string, ca: CertFiles, dates: { start: string; end: string }, name = 'server', subjectAltName = SAN_LOCAL): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const db = mkdtempSync(join(dir, `${name}-ca-`));
  writeFileSync(ext, `${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  writeFileSync(join(db, 'index.txt'), '');
  writeFileSync(join(db, 'serial'), '1000\n');
  writeFileSync(join(db, 'ca.cnf'), `[ca]\ndefault_ca = dated\n[dated]\ndatabase = ${db}/index.txt\nserial = ${db}/serial\nnew_certs_dir = ${db}\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost'], dir);
  openssl(['ca', '-batch', '-config', join(db, 'ca.cnf'), '-notext', '-cert', ca.cert, '-keyfile', ca.key, '-in', csr, '-out', cert,
    '-startdate', dates.start, '-enddate', dates.end, '-extfile', ext], dir);
  rmSync(db, { recursive: true, force: true });
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export interface CertSpec {
  /** File base name in `dir`. */
  name: string;
  /** The subject's common name. */
  cn: string;
  /** The CA that signs it; self-signed when absent. */
  issuer?: CertFiles;
  /** A CA certificate: basicConstraints CA:TRUE and keyCertSign, unless `extensions` says otherwise. */
  ca?: boolean;
  /** Extension lines (openssl x509v3 config syntax) instead of the defaults. */
  extensions?: string[];
  /** Extension lines added to the defaults (nameConstraints, authorityInfoAccess...). */
  extraExtensions?: string[];
  /** Validity as YYYYMMDDHHMMSSZ; from yesterday until `days` from now (default 90) otherwise. */
  start?: string;
  end?: string;
  days?: number;
  keyBits?: number;
  /** The signature's hash (sha1 for a certificate OpenSSL 3 refuses at security level 1). */
  md?: 'sha256' | 'sha1';
}

function stamp(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * Any certificate a chain test needs: a root, an intermediate, a server certificate, with chosen
 * dates, key size, hash and extensions. Goes through `openssl ca` (explicit dates, -selfsign for
 * roots) with a throwaway database.
 */
export function issueCertificate(dir: string, spec: CertSpec): CertFiles {
  const cert = join(dir, `${spec.name}.pem`);
  const key = join(dir, `${spec.name}.key`);
  const csr = join(dir, `${spec.name}.csr`);
  const ext = join(dir, `${spec.name}.ext`);
  const db = mkdtempSync(join(dir, `${spec.name}-ca-`));
  const defaults = spec.ca
    ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
    : [SAN_LOCAL, 'basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth'];
  writeFileSync(ext, `${[...(spec.extensions ?? defaults), ...(spec.extraExtensions ?? [])].join('\n')}\n`);
  writeFileSync(join(db, 'index.txt'), '');
  // a random serial, so that two certificates of one issuer and name still differ (an even count of hex digits)
  writeFileSync(join(db, 'serial'), `${randomBytes(8).toString('hex')}\n`);
  writeFileSync(join(db, 'ca.cnf'), `[ca]\ndefault_ca = dated\n[dated]\ndatabase = ${db}/index.txt\nserial = ${db}/serial\nnew_certs_dir = ${db}\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n`);
  openssl(['req', '-newkey', `rsa:${spec.keyBits ?? 2048}`, '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${spec.cn}`], dir);
  const now = Date.now();
  const start = spec.start ?? stamp(new Date(now - 86_400_000));
  const end = spec.end ?? stamp(new Date(now + (spec.days ?? Number(DAYS)) * 86_400_000));
  const signer = spec.issuer ? ['-cert', spec.issuer.cert, '-keyfile', spec.issuer.key] : ['-selfsign', '-keyfile', key];
  openssl(['ca', '-batch', '-config', join(db, 'ca.cnf'), '-notext', ...signer, '-in', csr, '-out', cert, '-startdate', start, '-enddate', end, '-extfile', ext, '-md', spec.md ?? 'sha256'], dir);
  rmSync(db, { recursive: true, force: true });
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

/** Writes the PEM of several certificates into one file, as a server's chain file holds them. */
export function chainFile(dir: string, name: string, certificates: CertFiles[]): string {
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, certificates.map((c) => c.pem).join(''));
  return file;
}
