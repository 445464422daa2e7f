// Actions on several search hits against Dovecot: hits of two folders of one account and of a second
// account, found by a real SearchRun, are grouped per account and folder (groupMessages, as the
// triage commands group selected rows) and flagged and moved one IMAP command per folder, as Triage
// does; then the move is undone. After each step the server holds what the user asked, nothing lost
// or duplicated, and the result rows follow from what the operations report (removed, arrived).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AccountConfig } from '../../src/core/account';
import { setFlags } from '../../src/core/mail/actions';
import { type MovePlan, runMove, undoMove } from '../../src/core/mail/moveOperation';
import { ConnectionPool } from '../../src/core/mail/pool';
import { type MailSession } from '../../src/core/mail/session';
import { parseQuery } from '../../src/core/search/query';
import { SearchRun } from '../../src/core/search/run';
import { groupMessages } from '../../src/triage/messageSets';
import { compose } from '../fixtures/mail';
import { appendMessages } from '../support/append';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { testAccount, testSession } from '../support/session';

const BOB = { name: 'bob', password: 'bob secret password' };
const DANA = 'Dana Reporter <dana@reporter.test>';

describe('actions on hits of several folders and accounts against Dovecot', () => {
  let server: DovecotServer;
  let alice: AccountConfig;
  let bob: AccountConfig;
  const sessions = new Map<string, MailSession>();
  const pools: ConnectionPool[] = [];

  /** Where Dovecot holds a user's mail from Dana: "INBOX: Login crash [\Flagged]", sorted. */
  function onServer(user: string): string[] {
    const rows = JSON.parse(server.doveadm(['-f', 'json', 'fetch', '-u', user, 'mailbox flags hdr.subject', 'mailbox', '*', 'from', 'dana@reporter.test'])) as Array<Record<string, string>>;
    return rows.map((r) => `${r.mailbox}: ${r['hdr.subject'].trim()} [${r.flags.split(' ').filter((f) => f === '\\Flagged' || f === '\\Deleted').join(' ')}]`).sort();
  }

  before(async () => {
    server = await startDovecot({ users: [DEFAULT_USER, BOB] });
    alice = { ...testAccount(server), id: 'alice' };
    bob = { ...testAccount(server, { user: BOB.name }), id: 'bob', email: 'bob@example.test' };
    await appendMessages(server, [
      { folder: 'INBOX', raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Login crash', text: 'It crashes.', messageId: '<login@reporter.test>' }) },
      { folder: 'INBOX', raw: await compose({ from: 'CI <ci@build.test>', to: 'alice@example.test', subject: 'Nightly green', text: 'ok' }) },
      { folder: 'Archive', raw: await compose({ from: DANA, to: 'alice@example.test', subject: 'Crash on resume', text: 'Older.', messageId: '<resume@reporter.test>' }) },
      { folder: 'Triage', raw: await compose({ from: 'Bo <bo@example.test>', to: 'alice@example.test', subject: 'Triage rules', text: 'rules' }) },
    ]);
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({ host: server.host, port: server.imapsPort, secure: true, auth: { user: BOB.name, pass: BOB.password }, tls: { ca: server.ca ? [server.ca.pem] : [] }, logger: false });
    await client.connect();
    await client.mailboxCreate('Reports');
    await client.append('Reports', await compose({ from: DANA, to: 'bob@example.test', subject: 'Bob report', text: 'x', messageId: '<bob@reporter.test>' }));
    await client.logout();
    sessions.set('alice', testSession(server, { account: alice }));
    sessions.set('bob', testSession(server, { account: bob, password: BOB.password }));
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all([...sessions.values()].map((s) => s.close()));
    await server?.stop();
  });

  it('flags and moves selected hits of two folders and two accounts, one command per folder, and undoes the move', async () => {
    const poolOf = (account: AccountConfig) => {
      const pool = new ConnectionPool(() => testSession(server, { account, password: account.id === 'bob' ? BOB.password : DEFAULT_USER.password }), 2);
      pools.push(pool);
      return pool;
    };
    const alicePool = poolOf(alice);
    const bobPool = poolOf(bob);
    const scope = [{ accountId: 'alice', path: 'INBOX' }, { accountId: 'alice', path: 'Archive' }, { accountId: 'alice', path: 'Triage' }, { accountId: 'bob', path: 'Reports' }];
    const run = new SearchRun(parseQuery('from:dana@reporter.test'), scope, { pool: (id) => (id === 'bob' ? bobPool : alicePool), pageSize: 50 });
    await run.start();
    const rowsOf = () => run.results.rows().map((h) => `${h.accountId}:${h.path}: ${h.message.subject}`).sort();
    assert.deepEqual(rowsOf(), ['alice:Archive: Crash on resume', 'alice:INBOX: Login crash', 'bob:Reports: Bob report']);

    // every hit selected: one set per account and folder
    const accounts = new Map([['alice', alice], ['bob', bob]]);
    const selected = run.results.rows().map((h) => ({ accountId: h.accountId, path: h.path, uidValidity: h.uidValidity, summary: h.message }));
    const sets = groupMessages(selected, (id) => accounts.get(id));
    assert.deepEqual(sets.map((s) => `${s.account.id}:${s.path}:${s.messages.length}`).sort(), ['alice:Archive:1', 'alice:INBOX:1', 'bob:Reports:1']);

    // Flag: one STORE per set, each on its own account's connection
    for (const set of sets) {
      const session = sessions.get(set.account.id)!;
      await session.withMailbox(set.path, (client) => setFlags({ client, refusal: () => session.takeRefusal() }, set.messages.map((m) => m.uid), ['\\Flagged'], true));
      for (const m of set.messages) {
        run.flagsChanged({ accountId: set.account.id, path: set.path }, m.uid, [...m.flags, '\\Flagged']);
      }
    }
    assert.deepEqual(onServer(DEFAULT_USER.name), ['Archive: Crash on resume [\\Flagged]', 'INBOX: Login crash [\\Flagged]']);
    assert.deepEqual(onServer(BOB.name), ['Reports: Bob report [\\Flagged]']);
    assert.ok(run.results.rows().every((h) => h.message.flags.includes('\\Flagged')), 'the rows show the flag');

    // Move alice's two hits (two folders) to Triage: one MOVE per folder
    const moves: Array<{ plan: MovePlan; outcome: Awaited<ReturnType<typeof runMove>> }> = [];
    for (const set of sets.filter((s) => s.account.id === 'alice')) {
      const plan: MovePlan = { from: set.path, to: 'Triage', messages: set.messages.map((m) => ({ uid: m.uid, ...(m.messageId ? { messageId: m.messageId } : {}) })) };
      const outcome = await runMove(sessions.get('alice')!, plan);
      moves.push({ plan, outcome });
      run.removed({ accountId: 'alice', path: set.path }, [...outcome.placed.keys()]);
      await run.arrived({ accountId: 'alice', path: 'Triage' }, [...outcome.placed.values()].filter((u): u is number => u !== undefined));
    }
    assert.deepEqual(onServer(DEFAULT_USER.name), ['Triage: Crash on resume [\\Flagged]', 'Triage: Login crash [\\Flagged]']);
    assert.deepEqual(rowsOf(), ['alice:Triage: Crash on resume', 'alice:Triage: Login crash', 'bob:Reports: Bob report']);

    // Undo: each message goes back to its own folder, once; the rows follow the UIDs undoMove reports
    for (const { plan, outcome } of moves.reverse()) {
      const { left, restored } = await undoMove(sessions.get('alice')!, plan, outcome);
      assert.equal(left.length, 1);
      assert.equal(restored.length, 1, 'Dovecot has UIDPLUS: the UID back in the source is known');
      run.removed({ accountId: 'alice', path: plan.to }, left);
      await run.arrived({ accountId: 'alice', path: plan.from }, restored);
    }
    assert.deepEqual(onServer(DEFAULT_USER.name), ['Archive: Crash on resume [\\Flagged]', 'INBOX: Login crash [\\Flagged]']);
    assert.deepEqual(rowsOf(), ['alice:Archive: Crash on resume', 'alice:INBOX: Login crash', 'bob:Reports: Bob report']);
    assert.equal(run.results.count, 3);
    run.dispose();
  });
});
