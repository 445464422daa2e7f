// Quick filters against Dovecot: Unread, Flagged, From this sender and This conversation, alone and
// together, as the folder search the Mail view draws a filtered folder from; the conversation found
// by its ids (a reply without References, a reply that names only its parent), never by subject;
// new mail joins a filter when it matches.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConnectionPool } from '../../src/core/mail/pool';
import { filterQuery, type QuickFilter } from '../../src/core/mail/quickFilter';
import { SearchRun } from '../../src/core/search/run';
import { conversationOf } from '../../src/core/threads/conversations';
import { compose } from '../fixtures/mail';
import { appendMessages } from '../support/append';
import { type DovecotServer, startDovecot } from '../support/dovecot';
import { testSession } from '../support/session';

const at = (day: number) => new Date(Date.UTC(2026, 9, day, 8));
const DANA = 'Dana Reporter <dana@reporter.test>';
const LEA = 'Lea <lea@dev.test>';

function mail(subject: string, from: string, headers: { id: string; irt?: string; refs?: string[] }): Promise<Buffer> {
  return compose({
    from, to: 'alice@example.test', subject, text: `${subject}\n`, messageId: headers.id,
    ...(headers.irt ? { inReplyTo: headers.irt } : {}),
    ...(headers.refs ? { references: headers.refs.join(' ') } : {}),
  });
}

describe('quick filters against Dovecot', () => {
  let server: DovecotServer;
  let pool: ConnectionPool;
  const uid: Record<string, number> = {};

  before(async () => {
    server = await startDovecot();
    const seed: Array<[string, Buffer, string[]]> = [
      ['login', await mail('Login crash', DANA, { id: '<r1@t>' }), []],
      ['export', await mail('Export broken', 'Marco <marco@dev.test>', { id: '<x1@t>' }), ['\\Flagged']],
      ['login2', await mail('Re: Login crash (2)', LEA, { id: '<r2@t>', irt: '<s1@t>', refs: ['<r1@t>', '<s1@t>'] }), []],
      ['news', await mail('Newsletter', 'news@letter.test', { id: '<n1@t>' }), ['\\Seen']],
      ['export2', await mail('Re: Export broken', LEA, { id: '<x2@t>', irt: '<x1@t>' }), ['\\Seen']],
      ['login3', await mail('Re: Login crash (3)', DANA, { id: '<r3@t>', irt: '<r2@t>', refs: ['<r1@t>', '<s1@t>', '<r2@t>'] }), ['\\Seen', '\\Flagged']],
      // the same subject, another conversation: never joined by subject
      ['other', await mail('Login crash', 'Eve <eve@else.test>', { id: '<z1@t>' }), []],
    ];
    const uids = await appendMessages(server, seed.map(([, raw, flags], i) => ({ folder: 'INBOX', raw, flags, date: at(i + 1) })));
    seed.forEach(([name], i) => (uid[name] = uids[i]));
    pool = new ConnectionPool(() => testSession(server), 2);
  });
  after(async () => {
    await pool?.close();
    await server?.stop();
  });

  /** The subjects a folder filtered by `filters` shows, newest first, once its search finished. */
  async function filtered(filters: QuickFilter[]): Promise<{ run: SearchRun; subjects: () => string[] }> {
    const run = new SearchRun(filterQuery(filters), [{ accountId: 'test', path: 'INBOX' }], { pool: () => pool, pageSize: 50 });
    await run.start();
    assert.equal(run.results.failures.length, 0, run.results.failures.map((f) => f.error?.message).join());
    return { run, subjects: () => run.results.rows().map((h) => `${h.message.subject} / ${h.message.from[0]?.address}`) };
  }

  it('shows what Unread, Flagged and From this sender each select, and what they select together', async () => {
    assert.deepEqual((await filtered([{ kind: 'unread' }])).subjects(), [
      'Login crash / eve@else.test', 'Re: Login crash (2) / lea@dev.test', 'Export broken / marco@dev.test', 'Login crash / dana@reporter.test',
    ]);
    assert.deepEqual((await filtered([{ kind: 'flagged' }])).subjects(), ['Re: Login crash (3) / dana@reporter.test', 'Export broken / marco@dev.test']);
    assert.deepEqual((await filtered([{ kind: 'from', address: 'dana@reporter.test' }])).subjects(), ['Re: Login crash (3) / dana@reporter.test', 'Login crash / dana@reporter.test']);
    assert.deepEqual((await filtered([{ kind: 'from', address: 'dana@reporter.test' }, { kind: 'unread' }])).subjects(), ['Login crash / dana@reporter.test']);
    assert.deepEqual((await filtered([{ kind: 'flagged' }, { kind: 'unread' }])).subjects(), ['Export broken / marco@dev.test']);
  });

  it('finds a conversation by its ids from any of its messages, never by subject', async () => {
    const session = testSession(server);
    try {
      for (const from of ['login', 'login2', 'login3']) {
        const conversation = await session.withMailbox('INBOX', (client) => conversationOf(client, 'INBOX', uid[from]), { readOnly: true });
        assert.deepEqual(conversation?.uids, [uid.login, uid.login2, uid.login3], `from ${from}`);
        assert.ok(conversation?.ids.includes('<r1@t>'));
        assert.equal(conversation?.subject, 'Re: Login crash (3)');
      }
      // a reply without References, by In-Reply-To alone
      const exported = await session.withMailbox('INBOX', (client) => conversationOf(client, 'INBOX', uid.export), { readOnly: true });
      assert.deepEqual(exported?.uids, [uid.export, uid.export2]);
      const alone = await session.withMailbox('INBOX', (client) => conversationOf(client, 'INBOX', uid.other), { readOnly: true });
      assert.deepEqual(alone?.uids, [uid.other]);
      assert.equal(await session.withMailbox('INBOX', (client) => conversationOf(client, 'INBOX', 999_999), { readOnly: true }), undefined);
    } finally {
      await session.close();
    }
  });

  it('keeps This conversation current: a later reply that names any of its messages joins, the same subject alone does not', async () => {
    const session = testSession(server);
    const conversation = await session.withMailbox('INBOX', (client) => conversationOf(client, 'INBOX', uid.login2), { readOnly: true }).finally(() => session.close());
    assert.ok(conversation);
    const { run, subjects } = await filtered([{ kind: 'conversation', conversation }]);
    assert.deepEqual(subjects(), ['Re: Login crash (3) / dana@reporter.test', 'Re: Login crash (2) / lea@dev.test', 'Login crash / dana@reporter.test']);
    const [reply, lookalike] = await appendMessages(server, [
      // names only its parent, the newest message of the conversation
      { folder: 'INBOX', raw: await mail('Re: Login crash (4)', LEA, { id: '<r4@t>', irt: '<r3@t>' }), date: at(20) },
      { folder: 'INBOX', raw: await mail('Re: Login crash', 'Eve <eve@else.test>', { id: '<z2@t>', irt: '<z1@t>', refs: ['<z1@t>'] }), date: at(21) },
    ]);
    await run.arrived({ accountId: 'test', path: 'INBOX' }, [reply, lookalike]);
    assert.deepEqual(subjects(), ['Re: Login crash (4) / lea@dev.test', 'Re: Login crash (3) / dana@reporter.test', 'Re: Login crash (2) / lea@dev.test', 'Login crash / dana@reporter.test']);
    // and with Unread on top, only the unread ones of the conversation
    assert.deepEqual((await filtered([{ kind: 'conversation', conversation }, { kind: 'unread' }])).subjects(), [
      'Re: Login crash (4) / lea@dev.test', 'Re: Login crash (2) / lea@dev.test', 'Login crash / dana@reporter.test',
    ]);
    run.dispose();
  });
});
