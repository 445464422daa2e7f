// Triage actions against a real Dovecot: flags, keywords, moves with and without MOVE and UIDPLUS,
// undo, folder management, and moves whose connection drops half-way.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { copyMessages, existingUids, moveMessages, setFlags } from '../../src/core/mail/actions';
import { createFolder, deleteFolder, folderMessageCount, renameFolder, setSubscribed } from '../../src/core/mail/folderOps';
import { flattenFolders, listFolders } from '../../src/core/mail/folders';
import { fetchHeaderPage, type MessageSummary } from '../../src/core/mail/headers';
import { moveBack, runMove, undoMove } from '../../src/core/mail/moveOperation';
import { type MailSession } from '../../src/core/mail/session';
import { compose } from '../fixtures/mail';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { startProxy } from '../support/proxy';
import { createFolders, saveMessage } from '../support/seed';
import { clientCommands, testAccount, testSession } from '../support/session';

const FULL = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';
const NO_MOVE = FULL.replace(' MOVE', '');
const NO_MOVE_NO_UIDPLUS = NO_MOVE.replace(' UIDPLUS', '');

let counter = 0;
async function seedMessages(server: DovecotServer, folder: string, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const messageId = `<${tag}-${++counter}@triage.test>`;
    ids.push(messageId);
    saveMessage(server, DEFAULT_USER.name, folder, await compose({ from: 'a@b.test', to: 'alice@example.test', subject: `${tag} ${i}`, text: 'x', messageId }));
  }
  return ids;
}

/** Message-IDs in a folder as the server holds them (another client's view). */
async function serverIds(server: DovecotServer, folder: string): Promise<Array<{ id: string; flags: string[] }>> {
  const client = new ImapFlow({ host: server.host, port: server.imapsPort, secure: true, auth: { user: DEFAULT_USER.name, pass: DEFAULT_USER.password }, tls: { ca: [server.ca!.pem] }, logger: false });
  await client.connect();
  const out: Array<{ id: string; flags: string[] }> = [];
  const lock = await client.getMailboxLock(folder, { readOnly: true });
  try {
    if ((client.mailbox || { exists: 0 }).exists > 0) {
      for await (const m of client.fetch('1:*', { envelope: true, flags: true })) {
        out.push({ id: m.envelope?.messageId ?? '', flags: [...(m.flags ?? [])] });
      }
    }
  } finally {
    lock.release();
    await client.logout();
  }
  return out;
}

async function page(session: MailSession, folder: string): Promise<MessageSummary[]> {
  return (await session.withMailbox(folder, (c, mb) => fetchHeaderPage(c, mb, 500))).messages;
}

const target = (session: MailSession) => (client: ImapFlow) => ({ client, refusal: () => session.takeRefusal() });

describe('triage against Dovecot', () => {
  let server: DovecotServer;
  before(async () => {
    server = await startDovecot();
  });
  after(async () => {
    await server?.stop();
  });

  it('flags one or many messages with one STORE each way', async () => {
    createFolders(server, DEFAULT_USER.name, ['Flags']);
    await seedMessages(server, 'Flags', 4, 'flag');
    const session = testSession(server);
    const uids = (await page(session, 'Flags')).map((m) => m.uid);
    const before = clientCommands(session.logger).length;
    await session.withMailbox('Flags', (c) => setFlags(target(session)(c), uids.slice(0, 3), ['\\Flagged'], true));
    await session.withMailbox('Flags', (c) => setFlags(target(session)(c), uids.slice(0, 1), ['\\Flagged'], false));
    const stores = clientCommands(session.logger).slice(before).filter((c) => /UID STORE/.test(c));
    assert.equal(stores.length, 2, stores.join('\n'));
    assert.match(stores[0], /UID STORE \d+:\d+ \+FLAGS \(\\Flagged\)/);
    const held = await serverIds(server, 'Flags');
    assert.deepEqual(held.map((m) => m.flags.includes('\\Flagged')), [false, true, true, false]);
    await session.close();
  });

  it('sets and clears keywords where PERMANENTFLAGS allows any', async () => {
    const session = testSession(server);
    const [message] = await page(session, 'Flags');
    const permanent = await session.withMailbox('Flags', async (_c, mailbox) => [...(mailbox.permanentFlags ?? [])]);
    assert.ok(permanent.includes('\\*'), permanent.join(' '));
    await session.withMailbox('Flags', (c) => setFlags(target(session)(c), [message.uid], ['$label1', 'needs-repro'], true));
    let flags = (await page(session, 'Flags')).find((m) => m.uid === message.uid)!.flags;
    assert.ok(flags.includes('$label1') && flags.includes('needs-repro'), flags.join(' '));
    await session.withMailbox('Flags', (c) => setFlags(target(session)(c), [message.uid], ['needs-repro'], false));
    flags = (await page(session, 'Flags')).find((m) => m.uid === message.uid)!.flags;
    assert.ok(flags.includes('$label1') && !flags.includes('needs-repro'));
    await session.close();
  });

  it('moves with MOVE, one command for many messages, and undoes by COPYUID', async () => {
    createFolders(server, DEFAULT_USER.name, ['MoveA', 'MoveB']);
    const ids = await seedMessages(server, 'MoveA', 5, 'move');
    const session = testSession(server);
    const messages = (await page(session, 'MoveA')).slice(0, 3);
    const before = clientCommands(session.logger).length;
    const plan = { from: 'MoveA', to: 'MoveB', messages: messages.map((m) => ({ uid: m.uid, messageId: m.messageId })) };
    const outcome = await runMove(session, plan);
    const moves = clientCommands(session.logger).slice(before).filter((c) => /UID (?:MOVE|COPY|EXPUNGE)/.test(c));
    assert.deepEqual(moves.map((c) => c.split(' ').slice(1, 3).join(' ')), ['UID MOVE']);
    assert.equal(outcome.method, 'MOVE');
    assert.ok([...outcome.placed.values()].every((u) => typeof u === 'number'), 'COPYUID gave the new UIDs');
    assert.deepEqual((await serverIds(server, 'MoveB')).map((m) => m.id).sort(), messages.map((m) => m.messageId).sort());
    assert.equal((await serverIds(server, 'MoveA')).length, 2);
    await moveBack(session, plan, outcome);
    assert.deepEqual((await serverIds(server, 'MoveA')).map((m) => m.id).sort(), [...ids].sort());
    assert.equal((await serverIds(server, 'MoveB')).length, 0);
    await session.close();
  });

  for (const [label, capability, method] of [['without MOVE: COPY, STORE \\Deleted, UID EXPUNGE of exactly those UIDs', NO_MOVE, 'COPY+EXPUNGE'], ['without MOVE and UIDPLUS: COPY and mark \\Deleted, never a bare EXPUNGE', NO_MOVE_NO_UIDPLUS, 'COPY+DELETED']] as const) {
    it(`moves ${label}`, async () => {
      const quirky = await startDovecot({ imapCapability: capability });
      try {
        createFolders(quirky, DEFAULT_USER.name, ['Src', 'Dst']);
        await seedMessages(quirky, 'Src', 4, 'quirk');
        const session = testSession(quirky);
        const all = await page(session, 'Src');
        // another client marked one message \Deleted and did not expunge it: it must survive our move
        const bystander = all[3];
        await session.withMailbox('Src', (c) => setFlags(target(session)(c), [bystander.uid], ['\\Deleted'], true));
        const moving = all.slice(0, 2);
        const before = clientCommands(session.logger).length;
        const outcome = await runMove(session, { from: 'Src', to: 'Dst', messages: moving.map((m) => ({ uid: m.uid, messageId: m.messageId })) });
        const issued = clientCommands(session.logger).slice(before).map((c) => c.replace(/^\S+ /, ''));
        assert.equal(outcome.method, method);
        assert.ok(!issued.some((c) => /^EXPUNGE/.test(c)), `no bare EXPUNGE: ${issued.join(' | ')}`);
        assert.deepEqual((await serverIds(quirky, 'Dst')).map((m) => m.id).sort(), moving.map((m) => m.messageId).sort());
        const left = await serverIds(quirky, 'Src');
        assert.ok(left.some((m) => m.id === bystander.messageId), 'the bystander marked \\Deleted by someone else is still there');
        if (method === 'COPY+EXPUNGE') {
          assert.ok(issued.some((c) => /^UID EXPUNGE \d+:\d+$/.test(c)), issued.join(' | '));
          assert.equal(left.length, 2);
          assert.equal(outcome.leftMarkedDeleted, false);
        } else {
          assert.equal(outcome.leftMarkedDeleted, true);
          const originals = left.filter((m) => moving.some((x) => x.messageId === m.id));
          assert.equal(originals.length, 2);
          assert.ok(originals.every((m) => m.flags.includes('\\Deleted')));
        }
        // undo puts things back as they were, without a duplicate anywhere
        await undoMove(session, { from: 'Src', to: 'Dst', messages: moving.map((m) => ({ uid: m.uid, messageId: m.messageId })) }, outcome);
        const restored = (await serverIds(quirky, 'Src')).filter((m) => !m.flags.includes('\\Deleted') || m.id === bystander.messageId);
        assert.deepEqual(restored.map((m) => m.id).sort(), all.map((m) => m.messageId).sort());
        const stillThere = (await serverIds(quirky, 'Dst')).filter((m) => !m.flags.includes('\\Deleted'));
        assert.deepEqual(stillThere, []);
        await session.close();
      } finally {
        await quirky.stop();
      }
    });
  }

  for (const scenario of ['client command lost', 'server answer lost'] as const) {
    it(`ends a MOVE whose connection dropped (${scenario}) with each message in exactly one folder`, async () => {
      createFolders(server, DEFAULT_USER.name, [`Drop${scenario.length}A`, `Drop${scenario.length}B`]);
      const from = `Drop${scenario.length}A`;
      const to = `Drop${scenario.length}B`;
      const ids = await seedMessages(server, from, 3, 'drop');
      const proxy = await startProxy({ targetPort: server.imapPort });
      try {
        const session = testSession(server, { account: testAccount(server, { security: 'none', port: proxy.port }) });
        const messages = await page(session, from);
        const cut = scenario === 'client command lost' ? proxy.cutWhenClientSends(/UID MOVE/) : proxy.cutWhenServerSends(/OK .*Move/i);
        const outcome = await runMove(session, { from, to, messages: messages.map((m) => ({ uid: m.uid, messageId: m.messageId })) });
        await cut;
        assert.equal(outcome.recovered, true);
        const there = (await serverIds(server, to)).map((m) => m.id);
        const here = (await serverIds(server, from)).map((m) => m.id);
        for (const id of ids) {
          assert.equal(there.filter((x) => x === id).length + here.filter((x) => x === id).length, 1, `${id} is in exactly one folder`);
          assert.ok(there.includes(id), `${id} was moved`);
        }
        await session.close();
      } finally {
        await proxy.close();
      }
    });
  }

  it('finishes a COPY+EXPUNGE move cut before the EXPUNGE: never two copies', async () => {
    const quirky = await startDovecot({ imapCapability: NO_MOVE });
    const proxy = await startProxy({ targetPort: quirky.imapPort });
    try {
      createFolders(quirky, DEFAULT_USER.name, ['Src', 'Dst']);
      const ids = await seedMessages(quirky, 'Src', 3, 'half');
      const session = testSession(quirky, { account: testAccount(quirky, { security: 'none', port: proxy.port }) });
      const messages = await page(session, 'Src');
      const cut = proxy.cutWhenClientSends(/UID EXPUNGE/);
      const outcome = await runMove(session, { from: 'Src', to: 'Dst', messages: messages.map((m) => ({ uid: m.uid, messageId: m.messageId })) });
      await cut;
      assert.equal(outcome.recovered, true);
      assert.deepEqual((await serverIds(quirky, 'Dst')).map((m) => m.id).sort(), [...ids].sort());
      assert.deepEqual(await serverIds(quirky, 'Src'), []);
      await session.close();
    } finally {
      await proxy.close();
      await quirky.stop();
    }
  });

  it('copies without touching the source, and refuses with the server\'s words', async () => {
    createFolders(server, DEFAULT_USER.name, ['CopyA', 'CopyB']);
    await seedMessages(server, 'CopyA', 2, 'copy');
    const session = testSession(server);
    const uids = (await page(session, 'CopyA')).map((m) => m.uid);
    const result = await session.withMailbox('CopyA', (c) => copyMessages(target(session)(c), uids, 'CopyB'));
    assert.equal(result.uidMap?.size, 2);
    assert.equal((await serverIds(server, 'CopyA')).length, 2);
    assert.equal((await serverIds(server, 'CopyB')).length, 2);
    await assert.rejects(
      session.withMailbox('CopyA', (c) => moveMessages(target(session)(c), uids, 'No Such Folder')),
      (err: Error & { code?: string }) => err.code === 'SERVER_NO' && /refused to move/.test(err.message) && /exist/i.test(err.message),
    );
    const present = await session.withMailbox('CopyA', (c) => existingUids(c, uids));
    assert.equal(present.size, 2, 'a refused move loses nothing');
    await session.close();
  });

  it('creates, renames, subscribes, unsubscribes and deletes folders with the hierarchy delimiter', async () => {
    const session = testSession(server);
    const created = await session.run((c) => createFolder(c, 'Projects', 'Release 2-4'));
    assert.equal(created, 'Projects.Release 2-4');
    await assert.rejects(session.run((c) => createFolder(c, undefined, 'a.b')), /cannot contain "\."/);
    let flat = flattenFolders(await session.run((c) => listFolders(c)));
    assert.ok(flat.find((f) => f.path === 'Projects')?.children.some((c) => c.name === 'Release 2-4'));
    const renamed = await session.run((c) => renameFolder(c, 'Projects.Release 2-4', 'Release 2-5'));
    assert.equal(renamed, 'Projects.Release 2-5');
    await session.run((c) => setSubscribed(c, renamed, false));
    flat = flattenFolders(await session.run((c) => listFolders(c, { subscribedOnly: true })));
    assert.ok(!flat.some((f) => f.path === renamed));
    await session.run((c) => setSubscribed(c, renamed, true));
    flat = flattenFolders(await session.run((c) => listFolders(c, { subscribedOnly: true })));
    assert.ok(flat.some((f) => f.path === renamed));
    saveMessage(server, DEFAULT_USER.name, renamed, await compose({ from: 'a@b.test', to: 'c@d.test', subject: 'inside', text: 'x' }));
    assert.equal(await session.run((c) => folderMessageCount(c, renamed)), 1);
    await session.run((c) => deleteFolder(c, renamed));
    flat = flattenFolders(await session.run((c) => listFolders(c)));
    assert.ok(!flat.some((f) => f.path === renamed));
    await session.close();
  });
});
