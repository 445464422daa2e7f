// The IMAP servers the server-independent integration tests run against, behind one shape:
// Dovecot, Cyrus with folders beside INBOX ("/"), and Cyrus with the classic "INBOX." prefix (".").
// A test file wraps its tests in forEachServer(); each server kind starts once per file (the CI
// budget allows three servers per file, not one per test). IMAPX_SERVERS=dovecot,cyrus limits the
// kinds (e.g. while working on one).
//
// Seeding and checking go through IMAP as another client would (APPEND, CREATE, FETCH), so the
// same test runs on every server; Dovecot-only tests (doveadm faults, capability variants) keep
// using startDovecot() directly.
import { after, before, describe } from 'node:test';
import { ImapFlow } from 'imapflow';
import { RawImap, quote } from '../bench/rawImap';
import { toCrlf } from '../../src/core/compose/canonical';
import { type CertFiles } from './certs';
import { type CyrusServer, startCyrus } from './cyrus';
import { DEFAULT_USER, type DovecotServer, type DovecotUser, startDovecot } from './dovecot';
import { seedBulkFolder } from './seed';

export type ServerKind = 'dovecot' | 'cyrus' | 'cyrus-classic';

export const SERVER_KINDS: ServerKind[] = ['dovecot', 'cyrus', 'cyrus-classic'];

const LABELS: Record<ServerKind, string> = {
  dovecot: 'Dovecot',
  cyrus: 'Cyrus, folders beside INBOX, "/"',
  'cyrus-classic': 'Cyrus, classic "INBOX." namespace, "."',
};

export type SpecialRole = 'sent' | 'drafts' | 'trash' | 'junk' | 'archive';

export interface MailServer {
  kind: ServerKind;
  label: string;
  host: string;
  /** Plain IMAP, STARTTLS offered (Cyrus: LOGINDISABLED before it). */
  imapPort: number;
  /** Implicit TLS. */
  imapsPort: number;
  /** Plain IMAP where a cleartext login works: for the fault-injection proxy only. */
  plainPort: number;
  ca: CertFiles;
  cert: CertFiles;
  users: DovecotUser[];
  /** The personal namespace (RFC 2342): "" or "INBOX.", and the hierarchy delimiter. */
  prefix: string;
  delimiter: string;
  /** The path of a personal folder from its levels: folder('Projects', 'Q4') is "Projects/Q4", "INBOX.Projects.Q4"... */
  folder(...levels: string[]): string;
  /** Where the server keeps each special-use folder (all five exist from the first login). */
  special: Record<SpecialRole, string>;
  /**
   * Server behaviours the tests state instead of hiding:
   * - createsParents: CREATE a/b/c also creates a and a/b as real, selectable folders (Cyrus);
   *   Dovecot leaves them out (listed \NonExistent / \Noselect).
   * - deletesParentWithChildren: DELETE of a folder with subfolders succeeds (Dovecot keeps the
   *   children under a \Noselect name); Cyrus refuses with [HASCHILDREN].
   * - protectsSpecialUse: DELETE of a special-use folder is refused (Cyrus: "SPECIAL-USE flag conflict").
   */
  quirks: { createsParents: boolean; deletesParentWithChildren: boolean; protectsSpecialUse: boolean };
  /** Present for Dovecot (doveadm), for the few checks only it can make. */
  dovecot?: DovecotServer;
  cyrus?: CyrusServer;
  stop(): Promise<void>;
}

/** The kinds to run: all, or those named in IMAPX_SERVERS. */
export function serverKinds(): ServerKind[] {
  const wanted = process.env.IMAPX_SERVERS?.split(',').map((k) => k.trim()).filter(Boolean);
  return wanted?.length ? SERVER_KINDS.filter((k) => wanted.includes(k)) : SERVER_KINDS;
}

/** A running Dovecot (started with its own options, e.g. a capability list) in the common shape. */
export function dovecotServer(dovecot: DovecotServer): MailServer {
  const folder = (...levels: string[]) => levels.join('.');
  return {
    kind: 'dovecot',
    label: LABELS.dovecot,
    host: dovecot.host,
    imapPort: dovecot.imapPort,
    imapsPort: dovecot.imapsPort,
    plainPort: dovecot.imapPort,
    ca: dovecot.ca!,
    cert: dovecot.cert,
    users: dovecot.users,
    prefix: '',
    delimiter: '.',
    folder,
    special: { sent: 'Sent', drafts: 'Drafts', trash: 'Trash', junk: 'Junk', archive: 'Archive' },
    quirks: { createsParents: false, deletesParentWithChildren: true, protectsSpecialUse: false },
    dovecot,
    stop: () => dovecot.stop(),
  };
}

export async function startMailServer(kind: ServerKind, options: { users?: DovecotUser[] } = {}): Promise<MailServer> {
  const users = options.users ?? [DEFAULT_USER];
  if (kind === 'dovecot') {
    return dovecotServer(await startDovecot({ users }));
  }
  const cyrus = await startCyrus({ layout: kind === 'cyrus' ? 'altnamespace' : 'classic', users });
  const prefix = kind === 'cyrus' ? '' : 'INBOX.';
  const delimiter = kind === 'cyrus' ? '/' : '.';
  const folder = (...levels: string[]) => `${prefix}${levels.join(delimiter)}`;
  const server: MailServer = {
    kind,
    label: LABELS[kind],
    host: cyrus.host,
    imapPort: cyrus.imapPort,
    imapsPort: cyrus.imapsPort,
    plainPort: cyrus.plainPort,
    ca: cyrus.ca,
    cert: cyrus.cert,
    users,
    prefix,
    delimiter,
    folder,
    special: { sent: folder('Sent'), drafts: folder('Drafts'), trash: folder('Trash'), junk: folder('Junk'), archive: folder('Archive') },
    quirks: { createsParents: true, deletesParentWithChildren: false, protectsSpecialUse: true },
    cyrus,
    stop: () => cyrus.stop(),
  };
  // Cyrus creates INBOX and the special-use folders at the first login
  await withClient(server, async () => undefined);
  return server;
}

/**
 * Declares `body` once per server kind, each in its own describe block with its own server for
 * the whole block. `server()` is valid inside tests and hooks.
 */
export function forEachServer(name: string, body: (server: () => MailServer) => void, options: { kinds?: ServerKind[]; users?: DovecotUser[] } = {}): void {
  for (const kind of serverKinds().filter((k) => !options.kinds || options.kinds.includes(k))) {
    describe(`${name} [${LABELS[kind]}]`, () => {
      let server: MailServer | undefined;
      before(async () => {
        server = await startMailServer(kind, options.users ? { users: options.users } : {});
      });
      after(async () => {
        await server?.stop();
      });
      body(() => {
        if (!server) {
          throw new Error(`the ${kind} server did not start`);
        }
        return server;
      });
    });
  }
}

/** A fixture's folder, written with "." between levels, on this server. */
export function fixtureFolder(server: MailServer, folder: string): string {
  return folder.toUpperCase() === 'INBOX' ? 'INBOX' : server.folder(...folder.split('.'));
}

/** Another client, logged in over TLS (for seeding and for checking what the server holds). */
export async function withClient<T>(server: MailServer, work: (client: ImapFlow) => Promise<T>, user: DovecotUser = server.users[0]): Promise<T> {
  const client = new ImapFlow({ host: server.host, port: server.imapsPort, secure: true, auth: { user: user.name, pass: user.password }, tls: { ca: [server.ca.pem] }, logger: false });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/** Creates folders (and subscribes them); existing ones are fine. */
export async function createFolders(server: MailServer, paths: string[]): Promise<void> {
  await withClient(server, async (client) => {
    const existing = new Set((await client.list()).map((f) => f.path));
    for (const path of paths) {
      if (path.toUpperCase() !== 'INBOX' && !existing.has(path)) {
        await client.mailboxCreate(path);
        await client.mailboxSubscribe(path);
        existing.add(path);
      }
    }
  });
}

export interface SeedMessage {
  raw: Buffer;
  flags?: string[];
  /** INTERNALDATE; the server's clock when absent. */
  date?: Date;
}

/**
 * APPENDs messages as another client would. Line ends become CRLF first, as an MTA delivering
 * them would make them (Cyrus refuses bare LF); the bytes are otherwise unchanged.
 */
export async function appendMessages(server: MailServer, folder: string, messages: SeedMessage[]): Promise<number[]> {
  return withClient(server, async (client) => {
    const uids: number[] = [];
    for (const message of messages) {
      const appended = await client.append(folder, toCrlf(message.raw), message.flags ?? [], message.date);
      uids.push(appended ? (appended.uid ?? 0) : 0);
    }
    return uids;
  });
}

function imapDate(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `"${pad(date.getUTCDate())}-${months[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000"`;
}

/**
 * Fills an ASCII-named folder with `count` messages, message i getting UID i. Dovecot: Maildir
 * files written directly (thousands in a second). Cyrus: MULTIAPPEND (RFC 3502) in batches, with
 * LITERAL+, about 5 ms a message.
 */
export async function seedBulk(server: MailServer, folder: string, count: number, make: (index: number, date: Date) => Buffer): Promise<void> {
  if (server.dovecot) {
    seedBulkFolder(server.dovecot, server.users[0].name, folder, count, make);
    return;
  }
  await createFolders(server, [folder]);
  const raw = await RawImap.connect({ host: server.host, port: server.imapsPort, ca: [server.ca.pem] });
  try {
    await raw.waitGreeting();
    await raw.command(`LOGIN ${quote(server.users[0].name)} ${quote(server.users[0].password)}`);
    const start = Date.UTC(2020, 0, 1);
    for (let first = 1; first <= count; first += 250) {
      const parts: string[] = [];
      for (let i = first; i < Math.min(first + 250, count + 1); i++) {
        const date = new Date(start + i * 60000);
        const message = toCrlf(make(i, date)).toString('latin1');
        parts.push(`${i % 3 === 0 ? '(\\Seen) ' : ''}${imapDate(date)} {${Buffer.byteLength(message, 'latin1')}+}\r\n${message}`);
      }
      await raw.command(`APPEND ${quote(folder)} ${parts.join(' ')}`);
    }
  } finally {
    await raw.logout();
  }
}

export interface HeldMessage {
  uid: number;
  messageId: string;
  subject: string;
  flags: string[];
  raw?: Buffer;
}

/** What the server holds in a folder, as another client sees it (with the raw bytes when asked). */
export async function heldMessages(server: MailServer, folder: string, options: { source?: boolean } = {}): Promise<HeldMessage[]> {
  return withClient(server, async (client) => {
    const out: HeldMessage[] = [];
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      if ((client.mailbox || { exists: 0 }).exists > 0) {
        for await (const m of client.fetch('1:*', { uid: true, envelope: true, flags: true, ...(options.source ? { source: true } : {}) })) {
          out.push({ uid: m.uid, messageId: m.envelope?.messageId ?? '', subject: m.envelope?.subject ?? '', flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent'), ...(m.source ? { raw: m.source } : {}) });
        }
      }
    } finally {
      lock.release();
    }
    return out;
  });
}
