// Searching many folders and accounts against Dovecot: in parallel over a capped pool, streamed,
// paged newest first across folders, cancelled, and kept current by live updates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AccountConfig } from '../../src/core/account';
import { ConnectionPool } from '../../src/core/mail/pool';
import { parseQuery, QueryError } from '../../src/core/search/query';
import { type SearchHit } from '../../src/core/search/results';
import { SearchRun } from '../../src/core/search/run';
import { countUnread } from '../../src/core/search/saved';
import { type AccountFolders, findFolder, foldersForAll, resolveScope } from '../../src/core/search/scope';
import { type FolderInfo } from '../../src/core/mail/folders';
import { compose } from '../fixtures/mail';
import { appendMessages, otherClient } from '../support/append';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { testAccount, testSession } from '../support/session';

const BOB = { name: 'bob', password: 'bob secret password' };
const FOLDERS = Array.from({ length: 20 }, (_, i) => `F${String(i + 1).padStart(2, '0')}`);
const PER_FOLDER = 12;
const BASE = Date.UTC(2026, 0, 1);

/** Message j of folder f: received at BASE + (j * 20 + f) minutes, from dana every third. */
function dateOf(f: number, j: number): Date {
  return new Date(BASE + (j * FOLDERS.length + f) * 60_000);
}

function folderInfo(path: string, specialUse?: FolderInfo['specialUse']): FolderInfo {
  return { path, name: path.split('/').pop()!, delimiter: '/', selectable: true, subscribed: true, children: [], ...(specialUse ? { specialUse } : {}) };
}

function label(hit: SearchHit): string {
  return `${hit.accountId}:${hit.path}:${hit.message.subject}`;
}

describe('search over folders and accounts against Dovecot', () => {
  let server: DovecotServer;
  let alice: AccountConfig;
  let bob: AccountConfig;
  const pools: ConnectionPool[] = [];
  /** Every message of alice's folders from dana, newest first: what a search for from:dana must show. */
  let expected: string[] = [];

  const poolFor = (account: AccountConfig, size = 3) => {
    const pool = new ConnectionPool(() => testSession(server, { account, password: account.id === 'bob' ? BOB.password : DEFAULT_USER.password }), size);
    pools.push(pool);
    return pool;
  };

  before(async () => {
    server = await startDovecot({ users: [DEFAULT_USER, BOB] });
    alice = { ...testAccount(server), id: 'alice' };
    bob = { ...testAccount(server, { user: BOB.name }), id: 'bob' };
    const messages = [];
    const all: Array<{ subject: string; date: Date; dana: boolean; folder: string }> = [];
    for (let f = 0; f < FOLDERS.length; f++) {
      for (let j = 0; j < PER_FOLDER; j++) {
        const dana = (f + j) % 3 === 0;
        const subject = `${FOLDERS[f]} message ${j}`;
        all.push({ subject, date: dateOf(f, j), dana, folder: FOLDERS[f] });
        messages.push({ folder: FOLDERS[f], date: dateOf(f, j), raw: await compose({ from: dana ? 'Dana Reporter <dana@reporter.test>' : 'Other <other@x.test>', to: 'alice@example.test', subject, text: `body ${j}` }) });
      }
    }
    await appendMessages(server, messages);
    expected = all.filter((m) => m.dana).sort((a, b) => b.date.getTime() - a.date.getTime()).map((m) => `alice:${m.folder}:${m.subject}`);
    // bob: a second account with one folder of his own
    const bobClient = await otherClientFor(server, BOB);
    await bobClient.mailboxCreate('Reports');
    await bobClient.append('Reports', await compose({ from: 'Dana Reporter <dana@reporter.test>', to: 'bob@example.test', subject: 'Bob report', text: 'x' }), [], new Date(BASE + 10_000 * 60_000));
    await bobClient.logout();
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await server?.stop();
  });

  async function otherClientFor(srv: DovecotServer, user: { name: string; password: string }) {
    const { ImapFlow } = await import('imapflow');
    const client = new ImapFlow({ host: srv.host, port: srv.imapsPort, secure: true, auth: { user: user.name, pass: user.password }, tls: { ca: srv.ca ? [srv.ca.pem] : [] }, logger: false });
    await client.connect();
    return client;
  }

  it('searches 20 folders in parallel over at most 3 connections, streaming and showing progress', async () => {
    const pool = poolFor(alice, 3);
    const folders = FOLDERS.map((path) => ({ accountId: 'alice', path }));
    const run = new SearchRun(parseQuery('from:dana'), folders, { pool: () => pool, pageSize: 200 });
    const progress: number[] = [];
    let rowsEvents = 0;
    run.onDidChange((e) => {
      if (e.progress) {
        progress.push(run.results.progress.done);
      }
      rowsEvents += e.rows ? 1 : 0;
    });
    await run.start();
    assert.equal(pool.peakOpen, 3, 'the folders ran three at a time');
    assert.deepEqual(run.results.progress, { done: 20, total: 20 });
    assert.ok(rowsEvents >= 2, 'rows arrived folder by folder');
    assert.ok(progress.length >= 20 && progress[progress.length - 1] === 20);
    assert.ok(run.firstResultsMs !== undefined && run.finishedMs !== undefined && run.firstResultsMs <= run.finishedMs);
    assert.deepEqual(run.results.rows().map(label), expected);
    assert.equal(run.results.count, expected.length);
    assert.equal(run.results.hasMore, false);
  });

  it('counts the unread matches of a search over 20 folders (a saved search\'s count)', async () => {
    const pool = poolFor(alice, 3);
    const folders = FOLDERS.map((path) => ({ accountId: 'alice', path }));
    assert.deepEqual(await countUnread(parseQuery('from:dana'), folders, () => pool), { unread: expected.length, exact: true, failed: 0 });
    assert.deepEqual(await countUnread(parseQuery('from:dana subject:"message 1"'), folders, () => pool), { unread: expected.filter((l) => / message 1\d*$/.test(l)).length, exact: true, failed: 0 });
    const missing = await countUnread(parseQuery('from:dana'), [...folders, { accountId: 'alice', path: 'NoSuchFolder' }], () => pool);
    assert.equal(missing.failed, 1);
    assert.equal(missing.unread, expected.length);
  });

  it('pages newest first across folders without skipping or repeating a row', async () => {
    const pool = poolFor(alice, 2);
    const run = new SearchRun(parseQuery('from:dana'), FOLDERS.map((path) => ({ accountId: 'alice', path })), { pool: () => pool, pageSize: 7 });
    await run.start();
    // each folder fetched its first 7 hits: only rows no folder can beat are shown
    assert.deepEqual(run.results.rows().map(label), expected.slice(0, 7));
    let pages = 1;
    while (run.results.hasMore) {
      await run.loadMore();
      pages++;
      assert.deepEqual(run.results.rows().map(label), expected.slice(0, Math.min(expected.length, pages * 7)), `page ${pages}`);
    }
    assert.equal(run.results.rows().length, expected.length);
  });

  it('stops when cancelled: waiting folders are given up and their rows never come', async () => {
    const pool = poolFor(alice, 1);
    const run = new SearchRun(parseQuery('from:dana'), FOLDERS.map((path) => ({ accountId: 'alice', path })), { pool: () => pool, pageSize: 50 });
    let cancelledAt = -1;
    run.onDidChange((e) => {
      if (e.progress && cancelledAt < 0 && run.results.progress.done >= 2) {
        cancelledAt = run.results.progress.done;
        run.cancel();
      }
    });
    await run.start();
    const states = run.results.folders().map((f) => f.state);
    assert.ok(states.filter((s) => s === 'done').length <= cancelledAt + 1);
    assert.ok(states.filter((s) => s === 'cancelled').length >= 20 - cancelledAt - 1);
    assert.equal(run.results.finished, true);
    const shown = run.results.rows().length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(run.results.rows().length, shown);
  });

  it('searches every folder of every account (in:any), Gmail-style All Mail only once', async () => {
    const listed: Record<string, FolderInfo[]> = {
      alice: [folderInfo('INBOX', 'inbox'), ...FOLDERS.map((f) => folderInfo(f))],
      bob: [folderInfo('INBOX', 'inbox'), folderInfo('Reports')],
    };
    const accounts: AccountFolders = { accountIds: ['alice', 'bob'], folders: (id) => listed[id] };
    const query = parseQuery('from:dana subject:report in:any');
    const refs = resolveScope(query.scope, { accountId: 'alice', path: 'F01' }, accounts);
    assert.equal(refs.length, 21 + 2);
    assert.deepEqual(refs[0], { accountId: 'alice', path: 'F01' });
    const poolA = poolFor(alice);
    const poolB = poolFor(bob);
    const run = new SearchRun(query, refs, { pool: (id) => (id === 'bob' ? poolB : poolA), pageSize: 50 });
    await run.start();
    assert.deepEqual(run.results.rows().map(label), ['bob:Reports:Bob report']);

    const gmail = [folderInfo('INBOX', 'inbox'), folderInfo('[Gmail]/All Mail', 'all'), folderInfo('[Gmail]/Sent Mail', 'sent'), folderInfo('[Gmail]/Spam', 'junk'), folderInfo('[Gmail]/Trash', 'trash'), folderInfo('Label')];
    assert.deepEqual(foldersForAll(gmail).map((f) => f.path), ['[Gmail]/All Mail', '[Gmail]/Spam', '[Gmail]/Trash']);
    assert.equal(findFolder(gmail, 'sent')?.path, '[Gmail]/Sent Mail');
    assert.equal(findFolder(gmail, 'spam')?.path, '[Gmail]/Spam');
    assert.equal(findFolder(gmail, 'label')?.path, 'Label');
    assert.equal(findFolder(gmail, 'inbox')?.path, 'INBOX');
    const typo = parseQuery('in:F99 x');
    assert.throws(() => resolveScope(typo.scope, { accountId: 'alice' }, accounts), (err: unknown) => err instanceof QueryError && err.message === 'No folder "F99"' && err.start === 3);
    assert.deepEqual(resolveScope(parseQuery('x').scope, { accountId: 'alice', path: 'F05' }, accounts), [{ accountId: 'alice', path: 'F05' }]);
    assert.equal(resolveScope(parseQuery('x').scope, { accountId: 'bob' }, accounts).length, 2);
  });

  it('keeps a result current: new mail that matches, flags and expunges', async () => {
    const pool = poolFor(alice);
    const run = new SearchRun(parseQuery('from:dana is:unread'), [{ accountId: 'alice', path: 'F01' }], { pool: () => pool, pageSize: 50 });
    await run.start();
    const before = run.results.rows().length;
    const ref = { accountId: 'alice', path: 'F01' };
    const [match, other] = await appendMessages(server, [
      { folder: 'F01', date: new Date(BASE + 20_000 * 60_000), raw: await compose({ from: 'Dana Reporter <dana@reporter.test>', to: 'alice@example.test', subject: 'F01 new from dana', text: 'x' }) },
      { folder: 'F01', date: new Date(BASE + 20_001 * 60_000), raw: await compose({ from: 'Other <other@x.test>', to: 'alice@example.test', subject: 'F01 new from other', text: 'x' }) },
    ]);
    let events = 0;
    run.onDidChange((e) => void (events += e.rows ? 1 : 0));
    await run.arrived(ref, [match, other]);
    const rows = run.results.rows();
    assert.equal(rows.length, before + 1);
    assert.equal(rows[0].message.subject, 'F01 new from dana');
    assert.equal(events, 1);
    run.flagsChanged(ref, match, ['\\Seen']);
    assert.deepEqual(run.results.rows()[0].message.flags, ['\\Seen']);
    run.removed(ref, [match]);
    assert.equal(run.results.rows().length, before);
    assert.equal(run.results.count, before);
    // mail that arrives with a UID the result already holds is not fetched twice
    await run.arrived(ref, [rows[1].message.uid]);
    assert.equal(run.results.rows().length, before);
    const client = await otherClient(server);
    await client.logout();
  });
});
