// Triage actions against real servers (Dovecot, Cyrus in both namespace layouts): flags, keywords,
// moves and undo, copies, folder management and the server's refusals, and moves whose connection
// drops half-way. Moves without MOVE or UIDPLUS need Dovecot's capability override: Dovecot only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ImapFlow } from 'imapflow';
import { copyMessages, existingUids, moveMessages, setFlags } from '../../src/core/mail/actions';
import { type MailError } from '../../src/core/errors';
import { createFolder, deleteFolder, folderMessageCount, renameFolder, setSubscribed } from '../../src/core/mail/folderOps';
import { flattenFolders, listFolders } from '../../src/core/mail/folders';
import { fetchHeaderPage, type MessageSummary } from '../../src/core/mail/headers';
import { moveBack, runMove, undoMove } from '../../src/core/mail/moveOperation';
import { type MailSession } from '../../src/core/mail/session';
import { compose } from '../fixtures/mail';
import { startDovecot } from '../support/dovecot';
import { startProxy } from '../support/proxy';
import { appendMessages, createFolders, dovecotServer, forEachServer, heldMessages, type MailServer } from '../support/servers';
import { clientCommands, testAccount, testSession } from '../support/session';

const FULL = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';
const NO_MOVE = FULL.replace(' MOVE', '');
const NO_MOVE_NO_UIDPLUS = NO_MOVE.replace(' UIDPLUS', '');

let counter = 0;
async function seedMessages(server: MailServer, folder: string, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  const raws: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const messageId = `<${tag}-${++counter}@triage.test>`;
    ids.push(messageId);
    raws.push(await compose({ from: 'a@b.test', to: 'alice@example.test', subject: `${tag} ${i}`, text: 'x', messageId }));
  }
  await appendMessages(server, folder, raws.map((raw) => ({ raw })));
  return ids;
}

/** Message-IDs in a folder as the server holds them (another client's view). */
async function serverIds(server: MailServer, folder: string): Promise<Array<{ id: string; flags: string[] }>> {
  return (await heldMessages(server, folder)).map((m) => ({ id: m.messageId, flags: m.flags }));
}

async function page(session: MailSession, folder: string): Promise<MessageSummary[]> {
  return (await session.withMailbox(folder, (c, mb) => fetchHeaderPage(c, mb, 500))).messages;
}

const target = (session: MailSession) => (client: ImapFlow) => ({ client, refusal: () => session.takeRefusal() });

forEachServer('triage', (current) => {
  let server: MailServer;
  const f = (...levels: string[]) => server.folder(...levels);

  it('flags one or many messages with one STORE each way', async () => {
    server = current();
    await createFolders(server, [f('Flags')]);
    await seedMessages(server, f('Flags'), 4, 'flag');
    const session = testSession(server);
    const uids = (await page(session, f('Flags'))).map((m) => m.uid);
    const before = clientCommands(session.logger).length;
    await session.withMailbox(f('Flags'), (c) => setFlags(target(session)(c), uids.slice(0, 3), ['\\Flagged'], true));
    await session.withMailbox(f('Flags'), (c) => setFlags(target(session)(c), uids.slice(0, 1), ['\\Flagged'], false));
    const stores = clientCommands(session.logger).slice(before).filter((c) => /UID STORE/.test(c));
    assert.equal(stores.length, 2, stores.join('\n'));
    assert.match(stores[0], /UID STORE \d+:\d+ \+FLAGS \(\\Flagged\)/);
    const held = await serverIds(server, f('Flags'));
    assert.deepEqual(held.map((m) => m.flags.includes('\\Flagged')), [false, true, true, false]);
    await session.close();
  });

  it('sets and clears keywords where PERMANENTFLAGS allows any', async () => {
    const session = testSession(server);
    const [message] = await page(session, f('Flags'));
    const permanent = await session.withMailbox(f('Flags'), async (_c, mailbox) => [...(mailbox.permanentFlags ?? [])]);
    assert.ok(permanent.includes('\\*'), permanent.join(' '));
    await session.withMailbox(f('Flags'), (c) => setFlags(target(session)(c), [message.uid], ['$label1', 'needs-repro'], true));
    let flags = (await page(session, f('Flags'))).find((m) => m.uid === message.uid)!.flags;
    assert.ok(flags.includes('$label1') && flags.includes('needs-repro'), flags.join(' '));
    await session.withMailbox(f('Flags'), (c) => setFlags(target(session)(c), [message.uid], ['needs-repro'], false));
    flags = (await page(session, f('Flags'))).find((m) => m.uid === message.uid)!.flags;
    assert.ok(flags.includes('$label1') && !flags.includes('needs-repro'));
    assert.ok((await serverIds(server, f('Flags'))).some((m) => m.flags.includes('$label1')), 'another client sees the keyword');
    await session.close();
  });

  it('moves with MOVE, one command for many messages, and undoes by COPYUID', async () => {
    await createFolders(server, [f('MoveA'), f('MoveB')]);
    const ids = await seedMessages(server, f('MoveA'), 5, 'move');
    const session = testSession(server);
    const messages = (await page(session, f('MoveA'))).slice(0, 3);
    const before = clientCommands(session.logger).length;
    const moving = plan(f('MoveA'), f('MoveB'), messages);
    const outcome = await runMove(session, moving);
    const moves = clientCommands(session.logger).slice(before).filter((c) => /UID (?:MOVE|COPY|EXPUNGE)/.test(c));
    assert.deepEqual(moves.map((c) => c.split(' ').slice(1, 3).join(' ')), ['UID MOVE']);
    assert.equal(outcome.method, 'MOVE');
    assert.ok([...outcome.placed.values()].every((u) => typeof u === 'number'), 'COPYUID gave the new UIDs');
    assert.deepEqual((await serverIds(server, f('MoveB'))).map((m) => m.id).sort(), messages.map((m) => m.messageId).sort());
    assert.equal((await serverIds(server, f('MoveA'))).length, 2);
    await moveBack(session, moving, outcome);
    assert.deepEqual((await serverIds(server, f('MoveA'))).map((m) => m.id).sort(), [...ids].sort());
    assert.equal((await serverIds(server, f('MoveB'))).length, 0);
    await session.close();
  });

  it('moves to the special-use Archive and Trash and back', async () => {
    await createFolders(server, [f('Inbound')]);
    const ids = await seedMessages(server, f('Inbound'), 2, 'special');
    const session = testSession(server);
    const folders = flattenFolders(await session.run((c) => listFolders(c)));
    const archive = folders.find((x) => x.specialUse === 'archive')!.path;
    const trash = folders.find((x) => x.specialUse === 'trash')!.path;
    assert.deepEqual([archive, trash], [server.special.archive, server.special.trash]);
    const [one, two] = await page(session, f('Inbound'));
    const toArchive = plan(f('Inbound'), archive, [one]);
    const archived = await runMove(session, toArchive);
    const toTrash = plan(f('Inbound'), trash, [two]);
    const trashed = await runMove(session, toTrash);
    assert.deepEqual((await serverIds(server, archive)).map((m) => m.id), [one.messageId]);
    assert.deepEqual((await serverIds(server, trash)).map((m) => m.id), [two.messageId]);
    await undoMove(session, toTrash, trashed);
    await undoMove(session, toArchive, archived);
    assert.deepEqual((await serverIds(server, f('Inbound'))).map((m) => m.id).sort(), [...ids].sort());
    assert.deepEqual([...(await serverIds(server, archive)), ...(await serverIds(server, trash))].filter((m) => !m.flags.includes('\\Deleted')), []);
    await session.close();
  });

  for (const scenario of ['client command lost', 'server answer lost'] as const) {
    it(`ends a MOVE whose connection dropped (${scenario}) with each message in exactly one folder`, async () => {
      const from = f(`Drop${scenario.length}A`);
      const to = f(`Drop${scenario.length}B`);
      await createFolders(server, [from, to]);
      const ids = await seedMessages(server, from, 3, 'drop');
      // the proxy reads the protocol: a port where a cleartext login works
      const proxy = await startProxy({ targetPort: server.plainPort });
      try {
        const session = testSession(server, { account: testAccount(server, { security: 'none', port: proxy.port }) });
        const messages = await page(session, from);
        // COPYUID comes before the tagged OK on every server (RFC 6851 4.3): the server has moved them
        const cut = scenario === 'client command lost' ? proxy.cutWhenClientSends(/UID MOVE/) : proxy.cutWhenServerSends(/\[COPYUID /);
        const outcome = await runMove(session, plan(from, to, messages));
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

  it('copies without touching the source, and refuses with the server\'s words', async () => {
    await createFolders(server, [f('CopyA'), f('CopyB')]);
    await seedMessages(server, f('CopyA'), 2, 'copy');
    const session = testSession(server);
    const uids = (await page(session, f('CopyA'))).map((m) => m.uid);
    const result = await session.withMailbox(f('CopyA'), (c) => copyMessages(target(session)(c), uids, f('CopyB')));
    assert.equal(result.uidMap?.size, 2);
    assert.equal((await serverIds(server, f('CopyA'))).length, 2);
    assert.equal((await serverIds(server, f('CopyB'))).length, 2);
    await assert.rejects(
      session.withMailbox(f('CopyA'), (c) => moveMessages(target(session)(c), uids, f('No Such Folder'))),
      (err: Error & { code?: string }) => err.code === 'SERVER_NO' && /refused to move/.test(err.message) && /exist/i.test(err.message),
    );
    const present = await session.withMailbox(f('CopyA'), (c) => existingUids(c, uids));
    assert.equal(present.size, 2, 'a refused move loses nothing');
    await session.close();
  });

  it('creates, renames, subscribes, unsubscribes and deletes folders with the hierarchy delimiter', async () => {
    const session = testSession(server);
    await createFolders(server, [f('Projects')]);
    const created = await session.run((c) => createFolder(c, f('Projects'), 'Release 2-4'));
    assert.equal(created, f('Projects', 'Release 2-4'));
    await assert.rejects(session.run((c) => createFolder(c, undefined, `a${server.delimiter}b`)), new RegExp(`cannot contain "\\${server.delimiter}"`));
    // a folder made at the top lands in the personal namespace ("INBOX." on classic Cyrus)
    assert.equal(await session.run((c) => createFolder(c, undefined, 'Top Level')), f('Top Level'));
    let flat = flattenFolders(await session.run((c) => listFolders(c)));
    assert.ok(flat.find((x) => x.path === f('Projects'))?.children.some((c) => c.name === 'Release 2-4'));
    const renamed = await session.run((c) => renameFolder(c, f('Projects', 'Release 2-4'), 'Release 2-5'));
    assert.equal(renamed, f('Projects', 'Release 2-5'));
    await session.run((c) => setSubscribed(c, renamed, false));
    flat = flattenFolders(await session.run((c) => listFolders(c, { subscribedOnly: true })));
    assert.ok(!flat.some((x) => x.path === renamed));
    await session.run((c) => setSubscribed(c, renamed, true));
    flat = flattenFolders(await session.run((c) => listFolders(c, { subscribedOnly: true })));
    assert.ok(flat.some((x) => x.path === renamed));
    await appendMessages(server, renamed, [{ raw: await compose({ from: 'a@b.test', to: 'c@d.test', subject: 'inside', text: 'x' }) }]);
    assert.equal(await session.run((c) => folderMessageCount(c, renamed)), 1);
    await session.run((c) => deleteFolder(c, renamed));
    flat = flattenFolders(await session.run((c) => listFolders(c)));
    assert.ok(!flat.some((x) => x.path === renamed));
    await session.close();
  });

  it('says in words when a name is taken, a folder has subfolders or is a protected special folder', async () => {
    const session = testSession(server);
    await createFolders(server, [f('Taken'), f('Taken', 'Child'), f('Other')]);
    const refused = async (work: Promise<unknown>) => {
      try {
        await work;
      } catch (err) {
        return err as MailError;
      }
      return undefined;
    };
    // Dovecot says [ALREADYEXISTS]; Cyrus says "Mailbox already exists" without a code
    const twice = await refused(session.run((c) => createFolder(c, undefined, 'Taken')));
    assert.equal(twice?.code, 'ALREADY_EXISTS');
    assert.equal(twice?.message, 'A folder named "Taken" already exists.');
    const onto = await refused(session.run((c) => renameFolder(c, f('Other'), 'Taken')));
    assert.equal(onto?.code, 'ALREADY_EXISTS');
    assert.equal(onto?.message, 'A folder named "Taken" already exists: choose another name.');
    const parent = await refused(session.run((c) => deleteFolder(c, f('Taken'))));
    if (server.quirks.deletesParentWithChildren) {
      assert.equal(parent, undefined);
      assert.ok(flattenFolders(await session.run((c) => listFolders(c))).some((x) => x.path === f('Taken', 'Child')), 'the child is still there');
    } else {
      assert.equal(parent?.code, 'FOLDER_HAS_CHILDREN');
      assert.equal(parent?.message, 'The server does not delete "Taken" while it has subfolders: delete or move them first.');
    }
    const sent = await refused(session.run((c) => deleteFolder(c, server.special.sent)));
    if (server.quirks.protectsSpecialUse) {
      assert.equal(sent?.code, 'FOLDER_PROTECTED');
      assert.equal(sent?.message, 'The server keeps "Sent" as one of the account\'s special folders (Sent, Drafts, Trash...) and does not allow to delete it.');
      assert.ok(flattenFolders(await session.run((c) => listFolders(c))).some((x) => x.specialUse === 'sent'));
    } else {
      assert.equal(sent, undefined);
    }
    const missing = await refused(session.run((c) => deleteFolder(c, f('Never There'))));
    assert.equal(missing?.code, 'NOT_FOUND');
    assert.equal(missing?.message, 'The folder "Never There" does not exist on the server.');
    await session.close();
  });
});

describe('triage on Dovecot only (capability overrides)', () => {
  for (const [label, capability, method] of [['without MOVE: COPY, STORE \\Deleted, UID EXPUNGE of exactly those UIDs', NO_MOVE, 'COPY+EXPUNGE'], ['without MOVE and UIDPLUS: COPY and mark \\Deleted, never a bare EXPUNGE', NO_MOVE_NO_UIDPLUS, 'COPY+DELETED']] as const) {
    it(`moves ${label}`, async () => {
      const quirky = dovecotServer(await startDovecot({ imapCapability: capability }));
      try {
        await createFolders(quirky, ['Src', 'Dst']);
        await seedMessages(quirky, 'Src', 4, 'quirk');
        const session = testSession(quirky);
        const all = await page(session, 'Src');
        // another client marked one message \Deleted and did not expunge it: it must survive our move
        const bystander = all[3];
        await session.withMailbox('Src', (c) => setFlags(target(session)(c), [bystander.uid], ['\\Deleted'], true));
        const moving = all.slice(0, 2);
        const before = clientCommands(session.logger).length;
        const outcome = await runMove(session, plan('Src', 'Dst', moving));
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
        await undoMove(session, plan('Src', 'Dst', moving), outcome);
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

  it('finishes a COPY+EXPUNGE move cut before the EXPUNGE: never two copies', async () => {
    const quirky = dovecotServer(await startDovecot({ imapCapability: NO_MOVE }));
    const proxy = await startProxy({ targetPort: quirky.imapPort });
    try {
      await createFolders(quirky, ['Src', 'Dst']);
      const ids = await seedMessages(quirky, 'Src', 3, 'half');
      const session = testSession(quirky, { account: testAccount(quirky, { security: 'none', port: proxy.port }) });
      const messages = await page(session, 'Src');
      const cut = proxy.cutWhenClientSends(/UID EXPUNGE/);
      const outcome = await runMove(session, plan('Src', 'Dst', messages));
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
});

function plan(from: string, to: string, messages: MessageSummary[]) {
  return { from, to, messages: messages.map((m) => ({ uid: m.uid, messageId: m.messageId })) };
}
