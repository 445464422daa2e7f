// Test certificates made with the openssl command line: a private CA, certificates it signs, and
// self-signed ones. Everything lands in a folder the caller owns.
import { execFileSync } from 'node:child_process';
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
