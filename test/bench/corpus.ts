// The benchmark's mail: folders of 1,000, 10,000 and 100,000 realistic messages and one message
// with a 25 MB attachment, generated deterministically (a seeded PRNG) and written as Maildir
// files directly, then `doveadm force-resync` and one full FETCH so Dovecot has built its index
// and cache before anything is measured. The result is cached under /var/tmp, keyed by
// GENERATOR_VERSION and the folder sizes, so later runs only start Dovecot on it.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compose } from '../fixtures/mail';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { seedBulkFolder } from '../support/seed';
import { quote, RawImap } from './rawImap';

/** Bump when the generated mail changes: the cache key changes with it. */
export const GENERATOR_VERSION = 3;

export const FOLDERS = {
  k1: { name: 'Bench1k', count: 1_000 },
  k10: { name: 'Bench10k', count: 10_000 },
  k100: { name: 'Bench100k', count: 100_000 },
  /** 20 ordinary messages, then the 25 MB one (the newest, UID 21). */
  big: { name: 'BenchBig', count: 21 },
  /** Where "another client" appends new mail; appended messages are expunged again. */
  live: { name: 'BenchLive', count: 200 },
} as const;

export const BIG_UID = FOLDERS.big.count;
export const BIG_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/** Dovecot with COMPRESS=DEFLATE, as many production servers (and Gmail) offer it. */
export const DOVECOT_EXTRA_CONFIG = `protocol imap {
  mail_plugins = $mail_plugins imap_zlib
}
`;

// ---------------------------------------------------------------------------------------------
// A small deterministic PRNG (mulberry32): the same message i on every machine and every run.

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Priya', 'Marco', 'Dana', 'Lukas', 'Aiko', 'Fatima', 'Oleg', 'Chen', 'Sofia', 'Mateo', 'Ingrid', 'Kwame', 'Zoë', 'Rahul', 'Emma', 'Jonas', 'Lea', 'Tomás', 'Yuki', 'Amara'];
const LAST = ['Raman', 'Rossi', 'Reporter', 'Schmidt', 'Tanaka', 'Haddad', 'Ivanov', 'Wei', 'García', 'López', 'Berg', 'Mensah', 'Müller', 'Gupta', 'Dubois', 'Nielsen', 'Novak', 'Silva', 'Sato', 'Okafor'];
const DOMAINS = ['customer.test', 'dev.test', 'example.org', 'lists.example.net', 'corp.test', 'mail.example.com', 'university.test', 'startup.io.test'];
const TOPICS = ['Crash when opening settings', 'Build failing on main', 'Release notes 2.4', 'Quarterly planning', 'Invoice 2024-117', 'Flaky test in CI', 'Dark mode for reports', 'Export to CSV drops unicode', 'Meeting notes', 'Security advisory', 'Performance regression in search', 'Onboarding checklist', 'Migration to Postgres 16', 'Holiday schedule', 'Design review: new sidebar'];
const LISTS = ['dev@lists.example.net', 'announce@lists.example.net', 'users@lists.example.net'];
const WORDS = 'the of and to in is it that for on with as was at by this from are be or have an not but which you all were we when your can said there use each she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)];
}

function person(rand: () => number): { name: string; address: string } {
  const first = pick(rand, FIRST);
  const last = pick(rand, LAST);
  const ascii = (s: string) => s.normalize('NFD').replace(/[^A-Z]/gi, '').toLowerCase();
  return { name: `${first} ${last}`, address: `${ascii(first)}.${ascii(last)}@${pick(rand, DOMAINS)}` };
}

/** RFC 2047 encoded word when the text is not ASCII (Zoë, Müller, García...). */
function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
}

function mailbox(p: { name: string; address: string }): string {
  const name = encodeWord(p.name);
  return name === p.name ? `"${p.name}" <${p.address}>` : `${name} <${p.address}>`;
}

function paragraph(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    out.push(pick(rand, WORDS));
  }
  const text = out.join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

/** Plain text of roughly `bytes` bytes, wrapped at 72 columns, with a quoted part sometimes. */
function bodyText(rand: () => number, bytes: number): string {
  const lines: string[] = ['Hi,', ''];
  let size = 6;
  while (size < bytes) {
    const para = paragraph(rand, 20 + Math.floor(rand() * 60));
    const wrapped = para.replace(/(.{1,72})(\s|$)/g, '$1\n').trimEnd();
    const quoted = rand() < 0.15 ? wrapped.split('\n').map((l) => `> ${l}`).join('\n') : wrapped;
    lines.push(quoted, '');
    size += quoted.length + 2;
  }
  lines.push('-- ', 'Sent from a benchmark');
  return lines.join('\n');
}

function base64Lines(data: Buffer): string {
  return data.toString('base64').replace(/.{76}/g, '$&\n').trimEnd();
}

function crlf(text: string): Buffer {
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
}

/**
 * Message `index` of a bulk folder (deterministic): 2-20 KB (log-uniform), realistic headers
 * (Received, From/To/Cc, Subject, Date, Message-ID, In-Reply-To/References, List-Id), and a mix of
 * structures: plain text, multipart/alternative, HTML only, and text with a small attachment.
 */
export function benchMessage(index: number, date: Date, folderSeed = 1): Buffer {
  const rand = prng(index * 7919 + folderSeed * 104729);
  const target = Math.round(2048 * Math.pow(10, rand()));
  const from = person(rand);
  const to = [{ name: 'Alice Example', address: 'alice@example.test' }];
  if (rand() < 0.2) {
    to.push(person(rand));
  }
  const cc = rand() < 0.3 ? [person(rand), ...(rand() < 0.3 ? [person(rand)] : [])] : [];
  const topic = pick(rand, TOPICS);
  const reply = index > 3 && rand() < 0.4;
  const list = rand() < 0.25 ? pick(rand, LISTS) : undefined;
  const subject = `${reply ? 'Re: ' : ''}${list ? `[${list.split('@')[0]}] ` : ''}${topic} #${index % 997}`;
  const messageId = `<${index}.${Math.floor(rand() * 1e9).toString(36)}@${from.address.split('@')[1]}>`;
  const refs: string[] = [];
  if (reply) {
    const depth = 1 + Math.floor(rand() * 4);
    for (let d = depth; d >= 1; d--) {
      const parent = Math.max(1, index - d * (1 + Math.floor(rand() * 20)));
      refs.push(`<${parent}.ref@${pick(rand, DOMAINS)}>`);
    }
  }
  const headers = [
    `Return-Path: <${from.address}>`,
    `Received: from mx${1 + Math.floor(rand() * 9)}.${from.address.split('@')[1]} (mx.${from.address.split('@')[1]} [192.0.2.${Math.floor(rand() * 250)}])\n\tby mail.example.test (Postfix) with ESMTPS id ${Math.floor(rand() * 1e12).toString(16).toUpperCase()}\n\tfor <alice@example.test>; ${date.toUTCString().replace('GMT', '+0000')}`,
    `Received: from [10.0.${Math.floor(rand() * 250)}.${Math.floor(rand() * 250)}] by smtp.${from.address.split('@')[1]} with ESMTPSA; ${date.toUTCString().replace('GMT', '+0000')}`,
    `From: ${mailbox(from)}`,
    `To: ${to.map(mailbox).join(', ')}`,
    ...(cc.length ? [`Cc: ${cc.map(mailbox).join(', ')}`] : []),
    `Subject: ${encodeWord(subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    ...(refs.length ? [`In-Reply-To: ${refs[refs.length - 1]}`, `References: ${refs.join('\n ')}`] : []),
    ...(list ? [`List-Id: <${list.replace('@', '.')}>`, `List-Unsubscribe: <mailto:${list.replace('@', '-unsubscribe@')}>`, 'Precedence: list'] : []),
    'MIME-Version: 1.0',
    `X-Mailer: ${pick(rand, ['Thunderbird 128.3', 'Apple Mail (2.3774)', 'Microsoft Outlook 16.0', 'Evolution 3.50', 'mutt 2.2'])}`,
  ];
  const kind = rand();
  const headerBytes = headers.join('\n').length;
  const textBytes = Math.max(300, target - headerBytes - 400);
  let body: string;
  if (kind < 0.55) {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    body = bodyText(rand, textBytes);
  } else if (kind < 0.75) {
    const boundary = `alt-${index}-${Math.floor(rand() * 1e9).toString(36)}`;
    const text = bodyText(rand, textBytes * 0.4);
    const html = `<html><head><style>p{font-family:Arial;margin:0 0 8px}</style></head><body>${text.split('\n\n').map((p) => `<p>${p.replace(/\n/g, ' ')}</p>`).join('')}</body></html>`;
    headers.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
    body = `--${boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${text}\n--${boundary}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${html}\n--${boundary}--\n`;
  } else if (kind < 0.85) {
    const text = bodyText(rand, textBytes);
    headers.push('Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    body = `<html><body><div style="font-family:Helvetica">${text.split('\n\n').map((p) => `<p>${p.replace(/\n/g, ' ')}</p>`).join('\n')}</div></body></html>`;
  } else {
    const boundary = `mix-${index}-${Math.floor(rand() * 1e9).toString(36)}`;
    const attachmentBytes = Math.round(textBytes * 0.5 * 0.75);
    const attachment = Buffer.alloc(attachmentBytes);
    for (let i = 0; i < attachmentBytes; i++) {
      attachment[i] = Math.floor(rand() * 256);
    }
    const name = pick(rand, ['crash.log', 'report.pdf', 'fix.patch', 'screenshot.png', 'invoice.pdf']);
    const type = name.endsWith('.pdf') ? 'application/pdf' : name.endsWith('.png') ? 'image/png' : 'text/plain';
    headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
    body = `This is a multi-part message in MIME format.\n--${boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n${bodyText(rand, textBytes * 0.4)}\n--${boundary}\nContent-Type: ${type}; name="${name}"\nContent-Disposition: attachment; filename="${name}"\nContent-Transfer-Encoding: base64\n\n${base64Lines(attachment)}\n--${boundary}--\n`;
  }
  return crlf(`${headers.join('\n')}\n\n${body}`);
}

/** The 25 MB-attachment message (random bytes, so nothing compresses it away). */
async function bigMessage(date: Date): Promise<Buffer> {
  const rand = prng(424242);
  const data = Buffer.alloc(BIG_ATTACHMENT_BYTES);
  for (let i = 0; i < data.length; i += 4) {
    data.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  }
  return compose({
    from: { name: 'Helpdesk', address: 'support@customer.test' },
    to: 'alice@example.test',
    date,
    messageId: '<big-attachment@bench.test>',
    subject: 'Core dump (25 MB attachment)',
    text: 'The core dump of the crash is attached. The text of this message is short: opening it must not download the attachment.\n',
    attachments: [{ filename: 'core.bin', content: data, contentType: 'application/octet-stream' }],
  });
}

// ---------------------------------------------------------------------------------------------
// The cache

export function cacheKey(): string {
  const spec = JSON.stringify({ GENERATOR_VERSION, FOLDERS, BIG_ATTACHMENT_BYTES, DOVECOT_EXTRA_CONFIG });
  return createHash('sha256').update(spec).digest('hex').slice(0, 12);
}

export function cacheDir(): string {
  return process.env.IMAPX_BENCH_CACHE ?? join('/var/tmp', `imapx-bench-${cacheKey()}`);
}

interface SeedMarker {
  key: string;
  seededAt: string;
  seedMs: number;
  steps: Record<string, number>;
}

export interface BenchServer {
  server: DovecotServer;
  /** How long seeding took in this run (0 when the cache was used). */
  seedMs: number;
  seedSteps: Record<string, number>;
  cached: boolean;
}

/** Certificates of the test CA live 3 days: a cache older than that gets new ones. */
function dropExpiringCertificates(dir: string): void {
  const cert = join(dir, 'ssl', 'server.pem');
  if (!existsSync(cert)) {
    return;
  }
  const check = spawnSync('openssl', ['x509', '-checkend', String(6 * 3600), '-noout', '-in', cert]);
  if (check.status !== 0) {
    rmSync(join(dir, 'ssl'), { recursive: true, force: true });
  }
}

/** Only one benchmark at a time may use a cache folder (a second one waits). */
async function lockCache(dir: string): Promise<() => void> {
  const lock = `${dir}.lock`;
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch {
      const pid = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : '0');
      let alive = false;
      try {
        alive = pid > 0 && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waited === 0) {
        process.stderr.write(`Waiting for another benchmark (pid ${pid}) that uses ${dir}...\n`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Reads every message's header data once, as the benchmark will, so Dovecot caches it. */
async function warmIndex(server: DovecotServer, folder: string): Promise<void> {
  const client = await RawImap.connect({ host: server.host, port: server.imapsPort, ca: server.ca ? [server.ca.pem] : undefined, keepLiteral: 0 });
  client.discardUntagged = true;
  await client.waitGreeting();
  await client.pipeline([`LOGIN ${quote(DEFAULT_USER.name)} ${quote(DEFAULT_USER.password)}`, `EXAMINE ${folder}`]);
  await client.command('UID FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE INTERNALDATE)');
  await client.logout();
}

/**
 * Starts Dovecot on the cached mail, seeding it first when the cache is missing or incomplete.
 * The returned release() frees the cache lock after server.stop().
 */
export async function benchServer(log: (line: string) => void): Promise<BenchServer & { release(): void }> {
  const dir = cacheDir();
  mkdirSync(join(dir, '..'), { recursive: true });
  const release = await lockCache(dir);
  try {
    const markerFile = join(dir, 'seeded.json');
    const marker: SeedMarker | undefined = existsSync(markerFile) ? JSON.parse(readFileSync(markerFile, 'utf8')) as SeedMarker : undefined;
    if (marker?.key === cacheKey()) {
      dropExpiringCertificates(dir);
      const server = await startDovecot({ dir, extraConfig: DOVECOT_EXTRA_CONFIG });
      log(`Using the cached mailboxes in ${dir} (seeded ${marker.seededAt} in ${(marker.seedMs / 1000).toFixed(1)} s)`);
      return { server, seedMs: 0, seedSteps: marker.steps, cached: true, release };
    }
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`Seeding the benchmark mailboxes into ${dir} (once per machine)...`);
    const started = Date.now();
    const steps: Record<string, number> = {};
    const step = async (name: string, fn: () => Promise<void> | void) => {
      const t = Date.now();
      await fn();
      steps[name] = Date.now() - t;
      log(`  ${name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    };
    const server = await startDovecot({ dir, extraConfig: DOVECOT_EXTRA_CONFIG });
    try {
      const user = DEFAULT_USER.name;
      let seed = 1;
      for (const key of ['k1', 'k10', 'k100', 'live'] as const) {
        const folder = FOLDERS[key];
        const folderSeed = seed++;
        await step(`write ${folder.name} (${folder.count} messages) + force-resync`, () =>
          seedBulkFolder(server, user, folder.name, folder.count, (i, date) => benchMessage(i, date, folderSeed)));
      }
      const big = await bigMessage(new Date(Date.UTC(2026, 0, 1)));
      await step(`write ${FOLDERS.big.name} (20 messages + 25 MB attachment) + force-resync`, () =>
        seedBulkFolder(server, user, FOLDERS.big.name, FOLDERS.big.count, (i, date) => (i === BIG_UID ? big : benchMessage(i, date, 99))));
      for (const folder of Object.values(FOLDERS)) {
        await step(`index ${folder.name} (one full FETCH)`, () => warmIndex(server, folder.name));
      }
    } catch (err) {
      await server.stop();
      throw err;
    }
    const seedMs = Date.now() - started;
    const du = execFileSync('du', ['-sh', join(dir, 'mail')]).toString().split('\t')[0];
    log(`Seeded in ${(seedMs / 1000).toFixed(1)} s (${du} of Maildir)`);
    writeFileSync(markerFile, JSON.stringify({ key: cacheKey(), seededAt: new Date().toISOString(), seedMs, steps } satisfies SeedMarker, null, 2));
    return { server, seedMs, seedSteps: steps, cached: false, release };
  } catch (err) {
    release();
    throw err;
  }
}
