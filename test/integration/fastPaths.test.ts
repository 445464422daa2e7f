// The fast paths of issue 7 against Dovecot: headers restored from the cache and resynced
// (QRESYNC in the SELECT, flags without it, a new UIDVALIDITY, a flood of new mail), the login in
// one round trip with its fallback, long downloads on a second connection, and FETCH BINARY.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BulkConnection } from '../../src/core/mail/bulk';
import { type ResyncMethod, resyncCached } from '../../src/core/mail/folderSync';
import { cacheKeyOf, HeaderCache, restoreWindow } from '../../src/core/mail/headerCache';
import { fetchHeaderPage } from '../../src/core/mail/headers';
import { type MailSession } from '../../src/core/mail/session';
import { MailStore } from '../../src/core/mail/store';
import { type FolderChange, FolderWindow } from '../../src/core/mail/window';
import { downloadPart, loadImapMessage, readStream } from '../../src/core/mail/messageLoader';
import { compose } from '../fixtures/mail';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { saveMessage, seedBulkFolder } from '../support/seed';
import { appendMessages, forEachServer, type MailServer, seedBulk, withClient } from '../support/servers';
import { bulkMessage } from '../fixtures/mail';
import { clientCommands, type ImapEndpoint, testAccount, testSession } from '../support/session';

const PAGE = 50;
const FOLDER = 'Reopen';
const WITHOUT_QRESYNC = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ESEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';
const WITHOUT_BINARY = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED CONDSTORE QRESYNC ESEARCH LIST-STATUS MOVE SPECIAL-USE';

const cacheDir = mkdtempSync(join(tmpdir(), 'imapx-fast-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

/** What a fresh connection shows for the folder: the newest `count` messages, UIDs and flags. */
async function serverView(server: ImapEndpoint, folder: string, count: number): Promise<Array<{ uid: number; flags: string[] }>> {
  const session = testSession(server);
  try {
    const page = await session.withMailbox(folder, (client, mailbox) => fetchHeaderPage(client, mailbox, count));
    return page.messages.map((m) => ({ uid: m.uid, flags: withoutRecent(m.flags) }));
  } finally {
    await session.close();
  }
}

/** \Recent belongs to one session (RFC 3501 2.3.2), not to the message. */
function withoutRecent(flags: string[]): string[] {
  return flags.filter((f) => f !== '\\Recent').sort();
}

/** The window's messages by UID, newest first (the rows are ordered by arrival; here the set matters). */
function view(window: FolderWindow): Array<{ uid: number; flags: string[] }> {
  return window.newestByUid(Infinity).map((m) => ({ uid: m.uid, flags: withoutRecent(m.flags) }));
}

/** Loads the first page on one connection and leaves it in the cache, as VS Code does before it closes. */
async function cacheFirstPage(server: ImapEndpoint, folder: string): Promise<void> {
  const session = testSession(server);
  try {
    const page = await session.withMailbox(folder, (client, mailbox) => fetchHeaderPage(client, mailbox, PAGE));
    await new HeaderCache(cacheDir).save(cacheKeyOf(testAccount(server)), FolderWindow.fromPage(folder, page));
  } finally {
    await session.close();
  }
}

/** A store showing the cached window, as after a restart before any connection. */
async function restored(server: ImapEndpoint, folder: string): Promise<MailStore> {
  const cached = await new HeaderCache(cacheDir).load(cacheKeyOf(testAccount(server)), folder);
  assert.ok(cached, 'the cache has the folder');
  const store = new MailStore('test');
  store.apply({ type: 'window', path: folder, window: restoreWindow(cached), generation: 0, source: 'cache' });
  return store;
}

/** resyncCached on the store's window, applied through the store as the extension does. */
async function resync(store: MailStore, session: MailSession, folder: string): Promise<{ method: ResyncMethod; change: FolderChange }> {
  const generation = store.generation(folder);
  const result = await session.run((client) => resyncCached(client, store.window(folder)!.snapshot(), PAGE));
  const event = result.method === 'reload'
    ? store.apply({ type: 'window', path: folder, window: FolderWindow.fromPage(folder, result.page), generation, source: 'server' })
    : store.apply({ type: 'delta', path: folder, delta: result.delta, generation });
  const change = event?.changes.find((c) => c.path === folder)?.change ?? { added: [], removed: [], flagged: [], reset: false };
  return { method: result.method, change };
}

function uidNext(server: DovecotServer, folder: string): number {
  return Number(/uidnext=(\d+)/.exec(server.doveadm(['mailbox', 'status', '-u', DEFAULT_USER.name, 'uidnext', folder]))![1]);
}

async function newMessage(subject: string): Promise<Buffer> {
  return compose({ from: 'Other Client <other@example.test>', to: 'alice@example.test', subject, text: subject });
}

describe('headers from the cache, resynced', () => {
  for (const variant of ['QRESYNC', 'no QRESYNC'] as const) {
    describe(variant, () => {
      let server: DovecotServer;
      before(async () => {
        server = await startDovecot(variant === 'QRESYNC' ? {} : { imapCapability: WITHOUT_QRESYNC });
        seedBulkFolder(server, DEFAULT_USER.name, FOLDER, 300);
      });
      after(async () => server?.stop());

      it('shows what changed while VS Code was closed: flags, deletions and new mail', async () => {
        await cacheFirstPage(server, FOLDER);
        // another client, meanwhile: flags inside and outside the cached page, a deletion, new mail
        server.doveadm(['flags', 'add', '-u', DEFAULT_USER.name, '\\Flagged', 'mailbox', FOLDER, 'uid', '300,290,262,10']);
        server.doveadm(['flags', 'remove', '-u', DEFAULT_USER.name, '\\Seen', 'mailbox', FOLDER, 'uid', '297']);
        server.doveadm(['expunge', '-u', DEFAULT_USER.name, 'mailbox', FOLDER, 'uid', '280']);
        saveMessage(server, DEFAULT_USER.name, FOLDER, await newMessage('Arrived while closed 1'));
        saveMessage(server, DEFAULT_USER.name, FOLDER, await newMessage('Arrived while closed 2'));

        const store = await restored(server, FOLDER);
        assert.equal(store.window(FOLDER)?.size, PAGE, 'the cached page is there before any connection');
        const session = testSession(server);
        try {
          const { change, method } = await resync(store, session, FOLDER);
          assert.equal(method, variant === 'QRESYNC' ? 'qresync' : 'flags');
          assert.deepEqual(change.added.map((m) => m.subject).sort(), ['Arrived while closed 1', 'Arrived while closed 2']);
          assert.deepEqual(change.removed.map((m) => m.uid), [280]);
          assert.deepEqual(change.flagged.map((f) => f.uid).sort(), [262, 290, 297, 300]);
          assert.equal(store.window(FOLDER)?.total, 301);
          const commands = clientCommands(session.logger);
          if (variant === 'QRESYNC') {
            assert.ok(commands.some((c) => /SELECT Reopen \(QRESYNC \(\d+ \d+\)\)/.test(c)), commands.join('\n'));
            assert.ok(!commands.some((c) => /FETCH 251:300 \(UID FLAGS\)/.test(c)), 'the cached range is not read again');
          }
        } finally {
          await session.close();
        }
        const expected = await serverView(server, FOLDER, PAGE + 1);
        const window = store.window(FOLDER)!;
        assert.deepEqual(view(window), expected.filter((m) => m.uid >= window.minUid));
      });
    });
  }

  it('throws the cache away when the folder has a new UIDVALIDITY', async () => {
    const server = await startDovecot();
    try {
      seedBulkFolder(server, DEFAULT_USER.name, FOLDER, 80);
      await cacheFirstPage(server, FOLDER);
      server.doveadm(['mailbox', 'delete', '-u', DEFAULT_USER.name, FOLDER]);
      server.doveadm(['mailbox', 'create', '-u', DEFAULT_USER.name, FOLDER]);
      saveMessage(server, DEFAULT_USER.name, FOLDER, await newMessage('In the new folder'));
      const store = await restored(server, FOLDER);
      const session = testSession(server);
      try {
        const { change, method } = await resync(store, session, FOLDER);
        assert.equal(method, 'reload');
        assert.equal(change.reset, true);
      } finally {
        await session.close();
      }
      assert.deepEqual(store.window(FOLDER)?.messages.map((m) => m.subject), ['In the new folder']);
    } finally {
      await server.stop();
    }
  });

  it('loads the first page afresh when more than two pages arrived', async () => {
    const server = await startDovecot();
    try {
      seedBulkFolder(server, DEFAULT_USER.name, FOLDER, 60);
      await cacheFirstPage(server, FOLDER);
      for (let i = 0; i < PAGE * 2 + 1; i++) {
        saveMessage(server, DEFAULT_USER.name, FOLDER, await newMessage(`Flood ${i}`));
      }
      const store = await restored(server, FOLDER);
      const session = testSession(server);
      try {
        const { method } = await resync(store, session, FOLDER);
        assert.equal(method, 'reload');
      } finally {
        await session.close();
      }
      const window = store.window(FOLDER)!;
      assert.equal(window.size, PAGE);
      assert.equal(window.maxUid, uidNext(server, FOLDER) - 1);
      assert.deepEqual(view(window), await serverView(server, FOLDER, PAGE));
    } finally {
      await server.stop();
    }
  });
});

describe('connection setup', () => {
  it('logs in with LOGIN in one round trip and does not negotiate COMPRESS', async () => {
    const server = await startDovecot({ extraConfig: 'protocol imap {\n  mail_plugins = $mail_plugins imap_zlib\n}\n' });
    const session = testSession(server);
    try {
      const client = await session.connection();
      assert.ok(client.capabilities.has('COMPRESS=DEFLATE'), 'the server offers COMPRESS');
      const commands = clientCommands(session.logger);
      assert.ok(commands.some((c) => /^\S+ LOGIN "alice" /.test(c)), commands.join('\n'));
      assert.ok(!commands.some((c) => /AUTHENTICATE|COMPRESS/.test(c)), commands.join('\n'));
      assert.ok(!session.logger.lines.join('\n').includes(DEFAULT_USER.password), 'the password is not logged');
    } finally {
      await session.close();
      await server.stop();
    }
  });

  it('uses AUTHENTICATE when the server announces LOGINDISABLED', async () => {
    const server = await startDovecot({ extraConfig: 'imap_capability = +LOGINDISABLED\n' });
    const session = testSession(server);
    try {
      const client = await session.connection();
      assert.ok(client.authenticated);
      const commands = clientCommands(session.logger);
      assert.ok(commands.some((c) => /AUTHENTICATE PLAIN/.test(c)), commands.join('\n'));
      assert.ok(!commands.some((c) => /^\S+ LOGIN /.test(c)), 'LOGIN was never sent');
    } finally {
      await session.close();
      await server.stop();
    }
  });
});

describe('long downloads', () => {
  let server: DovecotServer;
  const attachment = randomBytes(3 * 1024 * 1024);
  before(async () => {
    server = await startDovecot();
    saveMessage(server, DEFAULT_USER.name, 'INBOX', await compose({ from: 'a@example.test', to: 'alice@example.test', subject: 'Core dump', text: 'attached', attachments: [{ filename: 'core.bin', content: attachment, contentType: 'application/octet-stream' }] }));
    saveMessage(server, DEFAULT_USER.name, 'INBOX', await compose({ from: 'b@example.test', to: 'alice@example.test', subject: 'Meanwhile', text: 'Read me while the download runs.' }));
    saveMessage(server, DEFAULT_USER.name, 'INBOX', Buffer.from('From: c@example.test\r\nTo: alice@example.test\r\nSubject: Old encoding\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream; name=old.bin\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 old.bin\r\n#86)C\r\n`\r\nend\r\n--b--\r\n'));
  });
  after(async () => server?.stop());

  it('a download on the second connection does not hold up opening another message', { timeout: 60_000 }, async () => {
    const main = testSession(server);
    const bulk = new BulkConnection(() => testSession(server));
    try {
      const lock = await bulk.lockMailbox('INBOX');
      const { content } = await downloadPart(lock.client, 1, '2');
      // the download is started and nobody reads it yet: on one connection, the next line would wait forever
      const other = await main.withMailbox('INBOX', (client) => loadImapMessage(client, 2));
      assert.equal(other.subject, 'Meanwhile');
      assert.match(other.text ?? '', /Read me while the download runs/);
      assert.equal(content.readableEnded, false, 'the download was still open while the other message loaded');
      const bytes = await readStream(content);
      lock.release();
      assert.ok(bytes.equals(attachment), 'the attachment arrived intact');
      assert.equal(bulk.open, true);
    } finally {
      await main.close();
      await bulk.close();
    }
  });

  it('fetches attachments with FETCH BINARY in 16 MB windows', async () => {
    const session = testSession(server);
    try {
      const bytes = await session.withMailbox('INBOX', async (client) => readStream((await downloadPart(client, 1, '2')).content));
      assert.ok(bytes.equals(attachment));
      const commands = clientCommands(session.logger);
      assert.ok(commands.some((c) => /UID FETCH 1 \(.*BINARY\.PEEK\[2\]<0\.16777216>/.test(c)), commands.join('\n'));
    } finally {
      await session.close();
    }
  });

  it('asks again without BINARY for a part the server cannot decode', async () => {
    const session = testSession(server);
    try {
      const bytes = await session.withMailbox('INBOX', async (client) => readStream((await downloadPart(client, 3, '2')).content));
      assert.match(bytes.toString('latin1'), /^begin 644 old\.bin/);
      const commands = clientCommands(session.logger);
      assert.ok(commands.some((c) => /UID FETCH 3 .*BINARY\.PEEK\[2\]/.test(c)), 'BINARY first');
      assert.ok(commands.some((c) => /UID FETCH 3 .*BODY\.PEEK\[2\]/.test(c)), commands.join('\n'));
    } finally {
      await session.close();
    }
  });

  it('uses BODY where the server has no BINARY', async () => {
    const plain = await startDovecot({ imapCapability: WITHOUT_BINARY });
    saveMessage(plain, DEFAULT_USER.name, 'INBOX', await compose({ from: 'a@example.test', to: 'alice@example.test', subject: 'Core dump', text: 'attached', attachments: [{ filename: 'core.bin', content: attachment, contentType: 'application/octet-stream' }] }));
    const session = testSession(plain);
    try {
      const bytes = await session.withMailbox('INBOX', async (client) => readStream((await downloadPart(client, 1, '2')).content));
      assert.ok(bytes.equals(attachment));
      assert.ok(!clientCommands(session.logger).some((c) => /BINARY\.PEEK/.test(c)));
    } finally {
      await session.close();
      await plain.stop();
    }
  });
});

// The same paths on Cyrus in both layouts (Dovecot runs them above, with doveadm): changes made by
// another client over IMAP while the cache was closed, and long downloads on the second connection.
forEachServer('headers from the cache and long downloads', (current) => {
  let server: MailServer;
  let folder: string;
  const attachment = randomBytes(3 * 1024 * 1024);
  before(async () => {
    server = current();
    folder = server.folder(FOLDER);
    await seedBulk(server, folder, 300, bulkMessage);
    await appendMessages(server, 'INBOX', [
      { raw: await compose({ from: 'a@example.test', to: 'alice@example.test', subject: 'Core dump', text: 'attached', attachments: [{ filename: 'core.bin', content: attachment, contentType: 'application/octet-stream' }] }) },
      { raw: await compose({ from: 'b@example.test', to: 'alice@example.test', subject: 'Meanwhile', text: 'Read me while the download runs.' }) },
    ]);
  });

  it('shows what changed while VS Code was closed, with QRESYNC in the SELECT', async () => {
    await cacheFirstPage(server, folder);
    await withClient(server, async (client) => {
      const lock = await client.getMailboxLock(folder);
      try {
        await client.messageFlagsAdd('300,290,262,10', ['\\Flagged'], { uid: true });
        await client.messageFlagsRemove('297', ['\\Seen'], { uid: true });
        await client.messageDelete('280', { uid: true });
      } finally {
        lock.release();
      }
    });
    await appendMessages(server, folder, [{ raw: await newMessage('Arrived while closed 1') }, { raw: await newMessage('Arrived while closed 2') }]);
    const store = await restored(server, folder);
    assert.equal(store.window(folder)?.size, PAGE, 'the cached page is there before any connection');
    const session = testSession(server);
    try {
      const { change, method } = await resync(store, session, folder);
      assert.equal(method, 'qresync');
      assert.deepEqual(change.added.map((m) => m.subject).sort(), ['Arrived while closed 1', 'Arrived while closed 2']);
      assert.deepEqual(change.removed.map((m) => m.uid), [280]);
      assert.deepEqual(change.flagged.map((f) => f.uid).sort(), [262, 290, 297, 300]);
      assert.equal(store.window(folder)?.total, 301);
      const commands = clientCommands(session.logger);
      assert.ok(commands.some((c) => new RegExp(`SELECT "?${folder.replace(/\./g, '\\.')}"? \\(QRESYNC \\(\\d+ \\d+\\)\\)`).test(c)), commands.join('\n'));
      assert.ok(!commands.some((c) => /FETCH 251:300 \(UID FLAGS\)/.test(c)), 'the cached range is not read again');
    } finally {
      await session.close();
    }
    const expected = await serverView(server, folder, PAGE + 1);
    const window = store.window(folder)!;
    assert.deepEqual(view(window), expected.filter((m) => m.uid >= window.minUid));
  });

  it('a download on the second connection does not hold up opening another message, and comes by FETCH BINARY', { timeout: 60_000 }, async () => {
    const main = testSession(server);
    const bulk = new BulkConnection(() => testSession(server));
    try {
      const lock = await bulk.lockMailbox('INBOX');
      const { content } = await downloadPart(lock.client, 1, '2');
      const other = await main.withMailbox('INBOX', (client) => loadImapMessage(client, 2));
      assert.equal(other.subject, 'Meanwhile');
      assert.equal(content.readableEnded, false, 'the download was still open while the other message loaded');
      const bytes = await readStream(content);
      lock.release();
      assert.ok(bytes.equals(attachment), 'the attachment arrived intact');
    } finally {
      await main.close();
      await bulk.close();
    }
    const session = testSession(server);
    try {
      const bytes = await session.withMailbox('INBOX', async (client) => readStream((await downloadPart(client, 1, '2')).content));
      assert.ok(bytes.equals(attachment));
      assert.ok(clientCommands(session.logger).some((c) => /UID FETCH 1 \(.*BINARY\.PEEK\[2\]<0\.16777216>/.test(c)), clientCommands(session.logger).join('\n'));
    } finally {
      await session.close();
    }
  });
}, { kinds: ['cyrus', 'cyrus-classic'] });
