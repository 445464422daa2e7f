// Test certificates made with the openssl command line: a private CA, certificates it signs, and
// self-signed ones. Everything lands in a folder the caller owns.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

export function selfSignedCert(dir: string, name = 'self', subjectAltName = SAN_LOCAL): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3',
    '-subj', '/CN=localhost', '-addext', subjectAltName], dir);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export function testCa(dir: string, name = 'ca'): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3',
    '-subj', `/CN=IMAP Explorer Test CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export function caSignedCert(dir: string, ca: CertFiles, name = 'server', subjectAltName = SAN_LOCAL): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost'], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert,
    '-days', '3', '-extfile', ext], dir);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}
