// What the connection doctor's tests share: a test CA with the certificates each diagnosis needs
// (long-lived, expired, for another host, close to expiry), the fingerprint openssl computes for a
// certificate, and a lookup of one step of a report.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DoctorReport, type DoctorStep, type StepId } from '../../src/core/doctor';
import { caSignedCert, caSignedCertWithDates, type CertFiles, testCa } from './certs';
import { OPENSSL, ensurePackages } from './system';

/** The names the discovery tests resolve through dnsmasq, all served by the same loopback servers. */
export const TEST_NAMES = ['imap.example.test', 'smtp.example.test', 'mail.auto.test', 'imap.wk.test', 'imap.guess.test', 'dual.test', 'v6only.test', 'silent6.test', 'twocerts.test', 'mail.sni.test'];

export interface DoctorCertificates {
  dir: string;
  ca: CertFiles;
  /** Valid for a year, for localhost, 127.0.0.1, 127.0.0.2 and the test names. */
  good: CertFiles;
  /** Expired in February 2024. */
  expired: CertFiles;
  /** For mail.example.org only. */
  otherHost: CertFiles;
  /** Expires in 5 days. */
  soon: CertFiles;
  /** For the autoconfig web servers: autoconfig.auto.test and wk.test. */
  web: CertFiles;
}

export function doctorCertificates(): DoctorCertificates {
  ensurePackages([OPENSSL]);
  const dir = mkdtempSync(join(tmpdir(), 'imapx-doctor-certs-'));
  const ca = testCa(dir, 'doctor-ca');
  const local = `subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,${TEST_NAMES.map((n) => `DNS:${n}`).join(',')}`;
  return {
    dir,
    ca,
    good: caSignedCert(dir, ca, 'good', local, 365),
    expired: caSignedCertWithDates(dir, ca, { start: '20240101000000Z', end: '20240201000000Z' }, 'expired', local),
    otherHost: caSignedCert(dir, ca, 'other-host', 'subjectAltName=DNS:mail.example.org', 365),
    soon: caSignedCert(dir, ca, 'soon', local, 5),
    web: caSignedCert(dir, ca, 'web', 'subjectAltName=DNS:autoconfig.auto.test,DNS:wk.test,DNS:autoconfig.untrusted.test', 365),
  };
}

export function opensslFingerprint(certFile: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', certFile]).toString().trim().split('=')[1];
}

export function stepOf(report: DoctorReport, id: StepId): DoctorStep {
  const step = report.steps.find((s) => s.id === id);
  assert.ok(step, `no step ${id} in ${report.steps.map((s) => s.id).join(', ')}`);
  return step;
}

/** Status of every step, for one readable assertion message. */
export function statuses(report: DoctorReport): string {
  return report.steps.map((s) => `${s.id}=${s.status}${s.code ? `(${s.code})` : ''}: ${s.summary}`).join('\n');
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `imap-explorer` (dist/cli.js) as a user would, without password variables unless given. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of ['IMAP_PASSWORD', 'SMTP_PASSWORD']) {
    if (!(name in env)) {
      delete childEnv[name];
    }
  }
  const child = spawn(process.execPath, [cli, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
