// Seeding Dovecot: folders with `doveadm mailbox create`, messages with `doveadm save`, and big
// folders by writing Maildir files directly (thousands of messages in a second).
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bulkMessage, type Fixture } from '../fixtures/mail';
import { type DovecotServer } from './dovecot';

export function createFolders(server: DovecotServer, user: string, folders: string[]): void {
  for (const folder of folders) {
    if (folder.toUpperCase() === 'INBOX') {
      continue;
    }
    try {
      server.doveadm(['mailbox', 'create', '-s', '-u', user, folder]);
    } catch (err) {
      if (!/exists/i.test(String(err))) {
        throw err;
      }
    }
  }
}

/**
 * Saves a message with `doveadm save`, or, with `received` (its INTERNALDATE: doveadm save has no
 * option for it), by delivering the file into the Maildir with that mtime, which Dovecot takes as
 * the received date of a message it has not seen yet (ASCII folder names only).
 */
export function saveMessage(server: DovecotServer, user: string, folder: string, raw: Buffer, flags: string[] = [], received?: Date): void {
  if (received) {
    if (!/^[\w. -]+$/.test(folder)) {
      throw new Error('saveMessage with a received date writes Maildir names directly: use an ASCII folder name');
    }
    createFolders(server, user, [folder]);
    const dir = join(server.homeOf(user), 'Maildir', folder.toUpperCase() === 'INBOX' ? '' : `.${folder}`);
    mkdirSync(join(dir, 'new'), { recursive: true });
    const file = join(dir, 'new', `${Math.floor(received.getTime() / 1000)}.M${process.hrtime.bigint()}P${process.pid}.fixture,S=${raw.length}`);
    writeFileSync(file, raw);
    utimesSync(file, received, received);
    server.chownMail();
    // an ordinary sync picks the new file up (never force-resync: it rebuilds the index and loses
    // the expunge history QRESYNC answers from)
    server.doveadm(['mailbox', 'status', '-u', user, 'messages', folder]);
  } else {
    server.doveadm(['save', '-u', user, '-m', folder], raw);
  }
  if (flags.length) {
    // doveadm save has no flags option, and its search query has no "*": flag UIDNEXT-1
    const status = server.doveadm(['mailbox', 'status', '-u', user, 'uidnext', folder]);
    const uid = Number(/uidnext=(\d+)/.exec(status)?.[1]) - 1;
    server.doveadm(['flags', 'add', '-u', user, flags.join(' '), 'mailbox', folder, 'uid', String(uid)]);
  }
}

export function seedFixtures(server: DovecotServer, user: string, fixtures: Fixture[]): void {
  const folders = [...new Set(fixtures.map((f) => f.folder))];
  createFolders(server, user, folders);
  for (const fixture of fixtures) {
    saveMessage(server, user, fixture.folder, fixture.raw, fixture.flags, fixture.received);
  }
}

/**
 * Writes `count` messages into an ASCII-named folder as Maildir files; Dovecot assigns UIDs in
 * file-name order when it first sees them, so message i gets UID i.
 */
export function seedBulkFolder(server: DovecotServer, user: string, folder: string, count: number, make = bulkMessage): void {
  if (!/^[\w-]+$/.test(folder)) {
    throw new Error('seedBulkFolder writes Maildir names directly: use an ASCII folder name');
  }
  createFolders(server, user, [folder]);
  const cur = join(server.homeOf(user), 'Maildir', `.${folder}`, 'cur');
  mkdirSync(cur, { recursive: true });
  const start = Date.UTC(2020, 0, 1) / 1000;
  for (let i = 1; i <= count; i++) {
    const stamp = start + i * 60;
    const raw = make(i, new Date(stamp * 1000));
    const seen = i % 3 === 0 ? 'S' : '';
    writeFileSync(join(cur, `${stamp}.M${String(i).padStart(7, '0')}P1.fixture,S=${raw.length}:2,${seen}`), raw);
  }
  server.chownMail();
  server.doveadm(['force-resync', '-u', user, folder]);
}
