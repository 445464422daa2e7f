// The query language against a real Dovecot: every operator and combinations of them, with and
// without ESEARCH and WITHIN, has:attachment finished on BODYSTRUCTURE, and paging of hits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { type MailSession } from '../../src/core/mail/session';
import { compileQuery } from '../../src/core/search/compile';
import { countFolder, fetchHitPage, type FolderHits, hitCount, searchFolder } from '../../src/core/search/folderSearch';
import { parseQuery } from '../../src/core/search/query';
import { compose } from '../fixtures/mail';
import { appendMessages } from '../support/append';
import { type DovecotServer, startDovecot } from '../support/dovecot';
import { clientCommands, testSession } from '../support/session';

const FOLDER = 'Search';

/** Local midnight `days` ago plus a minute: a received date on that calendar day. */
function daysAgo(days: number): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - days, 0, 1, 0);
}

function crlf(text: string): Buffer {
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
}

const dana = { name: 'Dana Reporter', address: 'dana@reporter.test' };
const ci = { name: 'CI', address: 'ci@build.test' };

/** The corpus: one label per message, its subject starts with the label. */
async function corpus(): Promise<Array<{ raw: Buffer; flags: string[]; date: Date }>> {
  return [
    // M1: unread, with an attachment, cc carol
    { raw: await compose({ from: dana, to: 'alice@example.test', cc: 'carol@team.test', subject: 'M1 Login crash on startup', text: 'NullPointerException in LoginView', attachments: [{ filename: 'crash.log', content: 'trace\n'.repeat(20), contentType: 'text/plain' }] }), flags: [], date: daysAgo(2) },
    // M2: read and flagged
    { raw: await compose({ from: ci, to: 'alice@example.test', subject: 'M2 Build failed on main', text: 'see the log' }), flags: ['\\Seen', '\\Flagged'], date: daysAgo(10) },
    // M3: 8-bit sender and subject, answered, keyword
    { raw: await compose({ from: { name: 'Jörg Müller', address: 'joerg@muller.test' }, to: 'alice@example.test', subject: 'M3 Grüße aus München', text: 'Schöne Grüße' }), flags: ['\\Seen', '\\Answered', '$label1'], date: daysAgo(40) },
    // M4: a draft to dana
    { raw: await compose({ from: 'alice@example.test', to: dana, subject: 'M4 Re: Login crash on startup', text: 'Can you send the logs?' }), flags: ['\\Draft', '\\Seen'], date: daysAgo(1) },
    // M5: multipart/alternative newsletter: a candidate for has:attachment that BODYSTRUCTURE rejects
    { raw: await compose({ from: 'news@letter.test', to: 'alice@example.test', subject: 'M5 Weekly digest', text: 'digest', html: '<p>digest</p>' }), flags: [], date: new Date('2024-06-15T12:00:00Z') },
    // M6: the whole message is a PDF (an attachment by its header alone)
    { raw: crlf('From: scanner@office.test\nTo: alice@example.test\nSubject: M6 Scan 0042\nMessage-ID: <m6@search.test>\nMIME-Version: 1.0\nContent-Type: application/pdf; name="scan.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n'), flags: ['\\Seen'], date: new Date('2024-05-01T12:00:00Z') },
    // M7: big, an inline image only (multipart/related): no attachment
    { raw: await compose({ from: dana, to: 'alice@example.test', subject: 'M7 Screenshot inline', html: '<p>see</p><img src="cid:shot@search">', attachments: [{ filename: 'shot.png', content: randomBytes(150 * 1024), contentType: 'image/png', cid: 'shot@search' }] }), flags: [], date: daysAgo(0) },
    // M8: a text part that is an attachment (Content-Disposition), unread and flagged
    { raw: crlf('From: CI <ci@build.test>\nTo: alice@example.test\nSubject: M8 Nightly log\nMessage-ID: <m8@search.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: attachment; filename="nightly.log"\n\nall green\n'), flags: ['\\Flagged'], date: daysAgo(3) },
  ];
}

/** Every hit of a query in FOLDER, by label, newest UID first, paging `pageSize` at a time. */
async function labels(session: MailSession, query: string, pageSize = 50, serverPaged = false): Promise<string[]> {
  return session.withMailbox(FOLDER, async (client) => {
    const compiled = compileQuery(parseQuery(query), { capabilities: client.capabilities });
    const hits: FolderHits = await searchFolder(client, compiled, serverPaged ? pageSize : undefined);
    const out: string[] = [];
    let below: number | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await fetchHitPage(client, hits, pageSize, below);
      out.push(...result.messages.map((m) => m.subject.split(' ')[0]));
      below = result.below;
      if (below === undefined) {
        break;
      }
    }
    return out.sort();
  }, { readOnly: true });
}

const CASES: Array<[string, string[]]> = [
  // free text: subject, sender or body
  ['crash', ['M1', 'M4']],
  ['NullPointerException', ['M1']],
  ['"login crash"', ['M1', 'M4']],
  ['reporter', ['M1', 'M7']],
  ['Grüße', ['M3']],
  // fields
  ['from:dana', ['M1', 'M7']],
  ['from:Müller', ['M3']],
  ['to:dana', ['M4']],
  ['cc:carol', ['M1']],
  ['subject:"login crash"', ['M1', 'M4']],
  ['body:NullPointerException', ['M1']],
  ['body:crash', []],
  // flags and keywords
  ['is:unread', ['M1', 'M5', 'M7', 'M8']],
  ['is:read', ['M2', 'M3', 'M4', 'M6']],
  ['is:flagged', ['M2', 'M8']],
  ['is:unflagged', ['M1', 'M3', 'M4', 'M5', 'M6', 'M7']],
  ['is:answered', ['M3']],
  ['is:unanswered', ['M1', 'M2', 'M4', 'M5', 'M6', 'M7', 'M8']],
  ['is:draft', ['M4']],
  ['keyword:$label1', ['M3']],
  ['keyword:$nothing', []],
  // attachments, finished on BODYSTRUCTURE
  ['has:attachment', ['M1', 'M6', 'M8']],
  ['-has:attachment', ['M2', 'M3', 'M4', 'M5', 'M7']],
  ['has:attachment is:unread', ['M1', 'M8']],
  ['from:ci (has:attachment OR is:flagged)', ['M2', 'M8']],
  ['from:dana -has:attachment', ['M7']],
  ['NOT has:attachment OR is:flagged', ['M2', 'M3', 'M4', 'M5', 'M7', 'M8']],
  // dates: absolute and relative
  ['on:2024-05-01', ['M6']],
  ['before:2024-07-01', ['M5', 'M6']],
  ['after:2024-07-01', ['M1', 'M2', 'M3', 'M4', 'M7', 'M8']],
  ['after:7d', ['M1', 'M4', 'M7', 'M8']],
  ['before:7d', ['M2', 'M3', 'M5', 'M6']],
  ['after:today', ['M7']],
  ['on:today', ['M7']],
  ['on:yesterday', ['M4']],
  ['after:2w before:1w', ['M2']],
  ['after:3m before:1m', ['M3']],
  ['before:1y', ['M5', 'M6']],
  // sizes
  ['larger:100k', ['M7']],
  ['smaller:100k', ['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M8']],
  // combinations
  ['from:dana OR from:ci', ['M1', 'M2', 'M7', 'M8']],
  ['-from:dana is:unread', ['M5', 'M8']],
  ['NOT (is:read OR is:flagged)', ['M1', 'M5', 'M7']],
  ['(from:dana OR subject:build) -has:attachment', ['M2', 'M7']],
  ['keyword:$label1 OR after:today', ['M3', 'M7']],
  ['crash -is:draft', ['M1']],
  ['from:ci is:flagged larger:1 smaller:10k after:2w', ['M2', 'M8']],
  ['in:Search is:answered', ['M3']],
];

describe('search against Dovecot', () => {
  let server: DovecotServer;
  let session: MailSession & { logger: { lines: string[] } };

  before(async () => {
    server = await startDovecot();
    await appendMessages(server, (await corpus()).map((m) => ({ folder: FOLDER, ...m })));
    session = testSession(server);
  });
  after(async () => {
    await session?.close();
    await server?.stop();
  });

  it('finds what every operator and combination names (ESEARCH, WITHIN)', async () => {
    const client = await session.connection();
    assert.ok(client.capabilities.has('ESEARCH') && client.capabilities.has('WITHIN'));
    for (const [query, expected] of CASES) {
      assert.deepEqual(await labels(session, query), expected, query);
      // the same, paged by the server (ESORT PARTIAL), three at a time
      assert.deepEqual(await labels(session, query, 3, true), expected, `${query} (server-paged)`);
    }
  });

  it('pages by the server with one UID SORT per page, and survives mail arriving between pages', async () => {
    const traced = testSession(server);
    try {
      const seen = await traced.withMailbox(FOLDER, async (client) => {
        const compiled = compileQuery(parseQuery('is:unread'), { capabilities: client.capabilities });
        const hits = await searchFolder(client, compiled, 2);
        assert.equal(hitCount(hits), 4);
        const first = await fetchHitPage(client, hits, 2);
        // the newest arrivals first: M7 (today), M1 (two days ago)
        assert.deepEqual(first.messages.map((m) => m.subject.split(' ')[0]).sort(), ['M1', 'M7']);
        // another client delivers an unread message: the server's positions move by one
        const [uid] = await appendMessages(server, [{ folder: FOLDER, raw: await compose({ from: 'late@x.test', to: 'alice@example.test', subject: 'M9 late', text: 'x' }) }]);
        await client.noop();
        const out = [...first.messages];
        let below = first.below;
        while (below !== undefined) {
          const page = await fetchHitPage(client, hits, 2, below);
          out.push(...page.messages);
          below = page.below;
        }
        await client.messageDelete(String(uid), { uid: true });
        return out.map((m) => m.subject.split(' ')[0]).sort();
      });
      // every unread message once, none twice, and the late one too (the folder was asked again)
      assert.deepEqual(seen, ['M1', 'M5', 'M7', 'M8', 'M9']);
      const commands = clientCommands(traced.logger).filter((c) => /UID (?:SORT|SEARCH)/.test(c));
      assert.match(commands[0], /UID SORT RETURN \(COUNT PARTIAL 1:2\) \(REVERSE ARRIVAL\) UTF-8 UNSEEN/);
      assert.match(commands[1], /UID SORT RETURN \(COUNT PARTIAL 2:4\) \(REVERSE ARRIVAL\) UTF-8 UNSEEN/);
      assert.match(commands[2], /UID SEARCH RETURN \(COUNT MIN MAX ALL\) UNSEEN/);
    } finally {
      await traced.close();
    }
  });

  it('asks with ESEARCH RETURN (COUNT MIN MAX ALL), CHARSET UTF-8 for 8-bit text, and pages without re-searching', async () => {
    const traced = testSession(server);
    try {
      assert.deepEqual(await labels(traced, 'from:Müller'), ['M3']);
      assert.deepEqual(await labels(traced, 'is:unread', 1), ['M1', 'M5', 'M7', 'M8']);
      const commands = clientCommands(traced.logger).filter((c) => /UID (?:SEARCH|FETCH)/.test(c));
      assert.match(commands[0], /UID SEARCH RETURN \(COUNT MIN MAX ALL\) CHARSET UTF-8 FROM "\(\* 7B literal \*\)"/);
      const unread = commands.slice(2);
      // one search, then one FETCH per page of one
      assert.equal(unread.filter((c) => c.includes('UID SEARCH')).length, 1);
      assert.equal(unread.filter((c) => c.includes('UID FETCH')).length, 4);
    } finally {
      await traced.close();
    }
  });

  it('finds the same without ESEARCH and WITHIN (plain SEARCH, SINCE/BEFORE/ON)', async () => {
    const caps = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC SEARCHRES CONTEXT=SEARCH LIST-STATUS BINARY MOVE SPECIAL-USE';
    await session.close();
    await server.restart({ imapCapability: caps });
    const plain = testSession(server);
    try {
      const client = await plain.connection();
      assert.ok(!client.capabilities.has('ESEARCH') && !client.capabilities.has('WITHIN'));
      // relative dates compile to calendar days; the server compares them in its own time zone, so
      // only cases whose received dates sit well inside their day are compared here
      for (const [query, expected] of CASES) {
        assert.deepEqual(await labels(plain, query), expected, query);
      }
      const commands = clientCommands(plain.logger).filter((c) => c.includes('UID SEARCH'));
      assert.ok(commands.every((c) => !c.includes('RETURN')));
      assert.ok(commands.some((c) => / SINCE \d+-[A-Z][a-z]{2}-\d{4}/.test(c)));
    } finally {
      await plain.close();
      await server.restart({});
      session = testSession(server);
    }
  });

  it('counts matches and unread matches (a saved search\'s count), has:attachment decided on BODYSTRUCTURE', async () => {
    const count = (query: string, unread: boolean) => session.withMailbox(FOLDER, (client) => countFolder(client, compileQuery(parseQuery(query), { capabilities: client.capabilities }), unread), { readOnly: true });
    assert.deepEqual(await count('from:dana', false), { count: 2, exact: true });
    assert.deepEqual(await count('from:dana', true), { count: 2, exact: true });
    assert.deepEqual(await count('is:flagged', true), { count: 1, exact: true });
    assert.deepEqual(await count('has:attachment', false), { count: 3, exact: true });
    assert.deepEqual(await count('has:attachment', true), { count: 2, exact: true });
    assert.deepEqual(await count('-has:attachment is:read', true), { count: 0, exact: true });
  });

  it('says when the server refuses the criteria (X-GM-RAW on Dovecot)', async () => {
    await assert.rejects(
      session.withMailbox(FOLDER, (client) => searchFolder(client, { exact: true, key: { op: 'string', name: 'X-GM-RAW', value: 'has:attachment' } }), { readOnly: true }),
      (err: Error & { code?: string }) => err.code === 'SERVER_NO' && /refused SEARCH/.test(err.message),
    );
  });
});
