// A real DNS server for discovery tests: Debian's dnsmasq on a loopback port, answering only the
// records a test gives it (SRV, A) and NXDOMAIN for every other name of its zones. Nothing is
// forwarded anywhere: --no-resolv, and no upstream server.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net';
import { DNSMASQ, ensurePackages } from './system';

export interface SrvRecordSpec {
  /** e.g. _imaps._tcp.example.test */
  name: string;
  /** A host name, or "" for RFC 2782's "service not available" (target "."). */
  target: string;
  port: number;
  priority?: number;
  weight?: number;
}

export interface DnsZoneSpec {
  /** Domains this server is authoritative for: unknown names in them get NXDOMAIN at once. */
  zones: string[];
  srv?: SrvRecordSpec[];
  /** A / AAAA records. */
  hosts?: Array<{ name: string; address: string }>;
}

export interface DnsServer {
  /** host:port for Resolver.setServers / dnsServerResolver. */
  server: string;
  /** The queries dnsmasq logged, for asserting what was asked. */
  log(): string;
  stop(): Promise<void>;
}

export async function startDnsmasq(spec: DnsZoneSpec): Promise<DnsServer> {
  ensurePackages([DNSMASQ]);
  const dir = mkdtempSync(join(tmpdir(), 'imapx-dns-'));
  const logFile = join(dir, 'dnsmasq.log');
  const port = await freePort();
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--pid-file=',
    '--user=root',
    '--log-queries',
    `--log-facility=${logFile}`,
    ...spec.zones.map((z) => `--local=/${z}/`),
    ...(spec.srv ?? []).map((r) => (r.target ? `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}` : `--srv-host=${r.name}`)),
    ...(spec.hosts ?? []).map((h) => `--host-record=${h.name},${h.address}`),
  ];
  const child: ChildProcess = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  // ready once it answers: ask for a name of its first zone (NXDOMAIN is an answer too)
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 10000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`dnsmasq exited (${child.exitCode}): ${stderr}`);
    }
    try {
      await resolver.resolve4(`ready-check.${spec.zones[0]}`);
      break;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOTFOUND' || (err as { code?: string }).code === 'ENODATA') {
        break;
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dnsmasq did not answer on 127.0.0.1:${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    server: `127.0.0.1:${port}`,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) {
          child.kill('SIGKILL');
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
