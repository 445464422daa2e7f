// The read path against real servers (Dovecot, Cyrus in both namespace layouts): folders, header
// pages, message bodies and attachments.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { flattenFolders, listFolders } from '../../src/core/mail/folders';
import { fetchHeaderPage, type MessageSummary } from '../../src/core/mail/headers';
import { downloadPart, fetchSource, loadImapMessage, readStream } from '../../src/core/mail/messageLoader';
import { renderBody } from '../../src/core/render/body';
import { bodyInputOf, buildViewModel } from '../../src/core/render/viewModel';
import { blockedModel } from '../support/render';
import { bigAttachment, bulkMessage, compose, FOLDERS, fixtureMessages, SUBJECTS } from '../fixtures/mail';
import { DEFAULT_USER, startDovecot } from '../support/dovecot';
import { seedFixtures } from '../support/seed';
import { appendMessages, createFolders, fixtureFolder, forEachServer, type MailServer, seedBulk } from '../support/servers';
import { clientCommands, testSession } from '../support/session';

const bigData = bigAttachment();
/** Dovecot's bulk folder is written as Maildir files; Cyrus takes about 5 ms an APPEND. */
const bulkCount = (server: MailServer) => (server.dovecot ? 5000 : 1000);

forEachServer('reading mail', (current) => {
  let server: MailServer;
  let inbox: MessageSummary[];
  const bulk = () => server.folder(FOLDERS.bulk);
  before(async () => {
    server = current();
    const fixtures = await fixtureMessages({ big: false });
    await createFolders(server, [...new Set(fixtures.map((f) => fixtureFolder(server, f.folder)))]);
    for (const fixture of fixtures) {
      await appendMessages(server, fixtureFolder(server, fixture.folder), [{ raw: fixture.raw, ...(fixture.flags ? { flags: fixture.flags } : {}) }]);
    }
    // the 25 MB message, with attachment bytes the test can compare
    const big = await compose({ from: 'dana@reporter.test', to: 'alice@example.test', subject: SUBJECTS.big, text: 'The core dump is attached.', attachments: [{ filename: 'core.bin', content: bigData }] });
    await appendMessages(server, 'INBOX', [{ raw: big }]);
    await seedBulk(server, bulk(), bulkCount(server), bulkMessage);
    const session = testSession(server);
    inbox = (await session.withMailbox('INBOX', (c, mb) => fetchHeaderPage(c, mb, 50))).messages;
    await session.close();
  });

  it('lists folders with hierarchy, decoded names, special use, containers and unread counts, with LIST-STATUS', async () => {
    const session = testSession(server);
    const folders = await session.run((c) => listFolders(c));
    const flat = flattenFolders(folders);
    const byPath = new Map(flat.map((f) => [f.path, f]));
    const path = (folder: string) => fixtureFolder(server, folder);
    // the personal namespace's folders are top-level beside INBOX, also under a classic "INBOX." prefix
    assert.deepEqual(folders.slice(0, 6).map((f) => f.specialUse), ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash']);
    assert.deepEqual(folders.slice(0, 6).map((f) => f.name), ['INBOX', 'Drafts', 'Sent', 'Archive', 'Junk', 'Trash']);
    assert.equal(byPath.get(path(FOLDERS.cafe))?.name, 'Café & Co');
    assert.equal(byPath.get(path(FOLDERS.unicode))?.name, 'Ünïcödé 日本');
    assert.equal(byPath.get(path(FOLDERS.rnd))?.unseen, 1);
    // Cyrus creates the parents of Lists.2024.Reports as real folders; Dovecot leaves them out
    assert.equal(byPath.get(path('Lists'))?.selectable, server.quirks.createsParents);
    assert.equal(byPath.get(path('Lists.2024'))?.selectable, server.quirks.createsParents);
    assert.equal(byPath.get(path(FOLDERS.deepChild))?.selectable, true);
    assert.ok(byPath.get(path(FOLDERS.projects))?.children.some((c) => c.name === 'Café & Co'));
    assert.equal(byPath.get('INBOX')?.total, 12);
    assert.equal(byPath.get('INBOX')?.unseen, 11);
    assert.equal(byPath.get(bulk())?.total, bulkCount(server));
    const commands = clientCommands(session.logger);
    assert.ok(commands.some((c) => /LIST .*RETURN \(.*STATUS \((?:MESSAGES UNSEEN|UNSEEN MESSAGES)\)/i.test(c)), commands.join('\n'));
    assert.ok(!commands.some((c) => /^\S+ STATUS /i.test(c)), 'no STATUS per folder when LIST-STATUS exists');
    assert.ok(!commands.some((c) => /FETCH/i.test(c)), 'listing folders fetches no message');
    await session.close();
  });

  it('loads the newest page first and every older page once, in one FETCH each', async () => {
    const session = testSession(server);
    const seen: number[] = [];
    const count = bulkCount(server);
    let page = await session.withMailbox(bulk(), (c, mb) => fetchHeaderPage(c, mb, 50));
    assert.deepEqual([page.messages[0].uid, page.messages[49].uid], [count, count - 49]);
    assert.equal(page.messages[0].subject, `Bulk message ${String(count).padStart(5, '0')}`);
    seen.push(...page.messages.map((m) => m.uid));
    const before = clientCommands(session.logger).length;
    page = await session.withMailbox(bulk(), (c, mb) => fetchHeaderPage(c, mb, 50, page.next));
    const issued = clientCommands(session.logger).slice(before);
    assert.deepEqual(issued.map((c) => c.split(' ').slice(1, 3).join(' ')), ['UID FETCH'], issued.join('\n'));
    seen.push(...page.messages.map((m) => m.uid));
    while (page.next) {
      page = await session.withMailbox(bulk(), (c, mb) => fetchHeaderPage(c, mb, 250, page.next));
      seen.push(...page.messages.map((m) => m.uid));
    }
    assert.equal(seen.length, count);
    assert.equal(new Set(seen).size, count);
    assert.ok(seen.every((uid, i) => i === 0 || uid < seen[i - 1]));
    await session.close();
  });

  it('neither skips nor repeats a message when another client expunges between pages', async () => {
    const session = testSession(server);
    const count = bulkCount(server);
    const first = await session.withMailbox(bulk(), (c, mb) => fetchHeaderPage(c, mb, 50));
    // another client deletes 20 messages straddling the page boundary
    const other = new ImapFlow({ host: server.host, port: server.imapsPort, secure: true, auth: { user: DEFAULT_USER.name, pass: DEFAULT_USER.password }, tls: { ca: [server.ca.pem] }, logger: false });
    await other.connect();
    await other.mailboxOpen(bulk());
    await other.messageDelete(`${count - 60}:${count - 41}`, { uid: true });
    await other.logout();
    const second = await session.withMailbox(bulk(), (c, mb) => fetchHeaderPage(c, mb, 50, first.next));
    const expected = [];
    for (let uid = count - 50; expected.length < 50; uid--) {
      if (uid < count - 60 || uid > count - 41) {
        expected.push(uid);
      }
    }
    assert.deepEqual(second.messages.map((m) => m.uid).join(','), expected.join(','));
    await session.close();
  });

  it('opens each fixture with only BODYSTRUCTURE and the displayed parts', async () => {
    const session = testSession(server);
    const bySubject = new Map(inbox.map((m) => [m.subject, m]));
    const open = async (subject: string) => {
      const summary = bySubject.get(subject);
      assert.ok(summary, subject);
      const loaded = await session.withMailbox('INBOX', (c) => loadImapMessage(c, summary!.uid, summary));
      return { loaded, model: buildViewModel(loaded, { origin: 'imap' }, renderBody(bodyInputOf(loaded))) };
    };
    const plain = await open(SUBJECTS.plain);
    assert.equal(plain.model.bodyKind, 'text');
    assert.match(plain.model.document, /at Parser\.parse \(parser\.ts:42:7\)/);
    assert.match(plain.model.document, /<blockquote class="mx-quote">/);

    const html = await open(SUBJECTS.html);
    assert.equal(html.model.bodyKind, 'html');
    assert.equal(html.model.remote.state, 'blocked');
    assert.equal(html.model.remote.items, 2);
    assert.equal(html.model.paper, true);
    assert.doesNotMatch(html.model.document, /127\.0\.0\.1:9/);

    const alternative = await open(SUBJECTS.alternative);
    assert.match(alternative.model.document, /<li>Faster <b>sync<\/b><\/li>/);

    const attachments = await open(SUBJECTS.attachments);
    assert.deepEqual(attachments.model.attachments.map((a) => a.filename), ['server.log', 'fix.patch', 'report.pdf']);

    const inline = await open(SUBJECTS.inline);
    assert.match(inline.model.document, /<img src="data:image\/png;base64,iVBOR/);
    assert.deepEqual(inline.model.attachments, []);

    assert.match((await open(SUBJECTS.latin1)).model.document, /Voilà: crème brûlée, façade, naïve\./);
    const sjis = await open(SUBJECTS.sjis);
    assert.match(sjis.model.document, /こんにちは、世界。/);
    assert.equal(sjis.model.subject, '日本語のメール (Shift_JIS)');
    assert.equal(sjis.model.from[0].name, '山田');
    assert.equal((await open(SUBJECTS.utf8words)).model.from[0].name, 'Zoë Ünïcödé');

    // both inline text parts are the body (as Thunderbird shows them), the broken one as well as it decodes
    const malformed = await open(SUBJECTS.malformed);
    assert.equal(malformed.model.bodyKind, 'html');
    assert.match(malformed.model.document, /This part is readable[\s\S]*Second part with <b>unclosed tags/);

    const flagged = await open(SUBJECTS.flagged);
    assert.deepEqual(flagged.model.flags, { seen: true, flagged: true, answered: true });
    await session.close();
  });

  it('opens the message with a 25 MB attachment without downloading the attachment', async () => {
    const session = testSession(server);
    const summary = inbox.find((m) => m.subject === SUBJECTS.big)!;
    assert.equal(summary.hasAttachment, true);
    const { loaded, received } = await session.withMailbox('INBOX', async (c) => {
      c.stats(true);
      const message = await loadImapMessage(c, summary.uid, summary);
      return { loaded: message, received: c.stats().received };
    });
    assert.match(loaded.text ?? '', /The core dump is attached/);
    assert.deepEqual(loaded.attachments.map((a) => a.filename), ['core.bin']);
    // the decoded size, estimated from the base64 size BODYSTRUCTURE gives (not 34 MB)
    const model = blockedModel(loaded, 'imap');
    assert.equal(model.attachments[0].sizeLabel, 'about 25 MB');
    assert.ok(Math.abs(loaded.attachments[0].size - bigData.length) / bigData.length < 0.01, `estimated ${loaded.attachments[0].size} for ${bigData.length}`);
    assert.ok(received < 20 * 1024, `received ${received} bytes`);
    await session.close();
  });

  it('downloads an attachment byte for byte only when asked', async () => {
    const session = testSession(server);
    const summary = inbox.find((m) => m.subject === SUBJECTS.big)!;
    const digest = await session.withMailbox('INBOX', async (c) => {
      const { content } = await downloadPart(c, summary.uid, '2');
      return createHash('sha256').update(await readStream(content)).digest('hex');
    });
    assert.equal(digest, createHash('sha256').update(bigData).digest('hex'));
    const log = inbox.find((m) => m.subject === SUBJECTS.attachments)!;
    const text = await session.withMailbox('INBOX', async (c) => (await readStream((await downloadPart(c, log.uid, '2')).content)).toString());
    assert.match(text, /^2026-11-20 ERROR something broke\n/);
    await session.close();
  });

  it('shows the raw source, cut for huge messages', async () => {
    const session = testSession(server);
    const plain = inbox.find((m) => m.subject === SUBJECTS.plain)!;
    const { source, truncated } = await session.withMailbox('INBOX', (c) => fetchSource(c, plain.uid, 1024 * 1024));
    assert.match(source.toString(), /^Content-Type: text\/plain/m);
    assert.equal(truncated, false);
    const big = inbox.find((m) => m.subject === SUBJECTS.big)!;
    const cut = await session.withMailbox('INBOX', (c) => fetchSource(c, big.uid, 100 * 1024));
    assert.equal(cut.truncated, true);
    assert.equal(cut.source.length, 100 * 1024);
    await session.close();
  });

  it('marks a message as read on the server', async () => {
    const session = testSession(server);
    const target = inbox.find((m) => m.subject === SUBJECTS.alternative)!;
    const before = await session.run((c) => c.status('INBOX', { unseen: true }));
    await session.withMailbox('INBOX', (c) => c.messageFlagsAdd(String(target.uid), ['\\Seen'], { uid: true }));
    const after = await session.run((c) => c.status('INBOX', { unseen: true }));
    assert.equal((before as { unseen: number }).unseen - 1, (after as { unseen: number }).unseen);
    await session.close();
  });
});

describe('reading mail from Dovecot only', () => {
  it('falls back to STATUS per folder when the server has no LIST-STATUS', async () => {
    const capabilities = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH BINARY MOVE SPECIAL-USE';
    const plain = await startDovecot({ imapCapability: capabilities });
    try {
      seedFixtures(plain, DEFAULT_USER.name, (await fixtureMessages({ big: false })).slice(0, 3));
      const session = testSession(plain);
      const folders = flattenFolders(await session.run((c) => listFolders(c)));
      assert.equal(folders.find((f) => f.path === 'INBOX')?.unseen, 3);
      assert.ok(clientCommands(session.logger).some((c) => /STATUS INBOX \((?:MESSAGES UNSEEN|UNSEEN MESSAGES)\)/i.test(c)), clientCommands(session.logger).join('\n'));
      await session.close();
    } finally {
      await plain.stop();
    }
  });
});

