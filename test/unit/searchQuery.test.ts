// The query language: the parser's trees, its error messages and positions, and the IMAP SEARCH it
// compiles to (plain IMAP, WITHIN, Gmail's X-GM-RAW, the has:attachment split, CHARSET).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import peggy from 'peggy';
import { compileQuery, type CompiledSearch, renderKey, searchTokens, needsCharset } from '../../src/core/search/compile';
import { completeQuery } from '../../src/core/search/complete';
import { readSavedSearches, withSaved, withoutSaved } from '../../src/core/search/saved';
import { MAX_NESTING, nestingDepth, parseQuery, type QueryNode, QueryError, quoteValue } from '../../src/core/search/query';
import { assertLinear } from '../support/growth';
import { UidSet } from '../../src/core/search/uidSet';

/** The query as a compact S-expression, to compare trees by eye. */
function shape(node: QueryNode | undefined): string {
  if (!node) {
    return 'ALL';
  }
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${node.items.map(shape).join(' ')})`;
    case 'not':
      return `(not ${shape(node.item)})`;
    case 'text':
      return JSON.stringify(node.text);
    case 'field':
      return `${node.field}:${JSON.stringify(node.text)}`;
    case 'flag':
      return `is:${node.flag}`;
    case 'attachment':
      return 'has:attachment';
    case 'keyword':
      return `keyword:${node.keyword}`;
    case 'date':
      return `${node.op}:${node.date.type === 'absolute' ? `${node.date.year}-${node.date.month}-${node.date.day}` : `${node.date.amount}${node.date.unit}`}`;
    case 'size':
      return `${node.op}:${node.bytes}`;
    case 'key':
      return `key:${renderKey(node.key)}`;
  }
}

function error(query: string): { message: string; start: number; end: number } {
  try {
    parseQuery(query);
  } catch (err) {
    assert.ok(err instanceof QueryError, `not a QueryError: ${String(err)}`);
    return { message: err.message, start: err.start, end: err.end };
  }
  assert.fail(`"${query}" parsed`);
}

const DOVECOT = { capabilities: new Set(['IMAP4REV1', 'ESEARCH', 'SORT', 'THREAD=REFERENCES']) };
const WITHIN = { capabilities: new Set(['IMAP4REV1', 'WITHIN']) };
const GMAIL = { capabilities: new Set(['IMAP4REV1', 'X-GM-EXT-1']) };

function imap(query: string, target: { capabilities: Set<string>; now?: Date } = DOVECOT): string {
  const compiled = compileQuery(parseQuery(query), target);
  assert.ok(compiled.exact, `${query} should compile exactly`);
  return renderKey(compiled.key);
}

describe('search query parser', () => {
  it('parses free text, phrases, fields and implicit AND', () => {
    assert.equal(shape(parseQuery('login crash').filter), '(and "login" "crash")');
    assert.equal(shape(parseQuery('"login crash"').filter), '"login crash"');
    assert.equal(shape(parseQuery('from:alice to:bob cc:carol subject:"weekly report" body:stacktrace').filter),
      '(and from:"alice" to:"bob" cc:"carol" subject:"weekly report" body:"stacktrace")');
    assert.equal(shape(parseQuery('FROM:alice Subject:x').filter), '(and from:"alice" subject:"x")');
  });

  it('gives OR a lower precedence than AND, and takes NOT, - and parentheses', () => {
    assert.equal(shape(parseQuery('a b OR c').filter), '(or (and "a" "b") "c")');
    assert.equal(shape(parseQuery('a (b OR c)').filter), '(and "a" (or "b" "c"))');
    assert.equal(shape(parseQuery('-from:ci NOT is:read').filter), '(and (not from:"ci") (not is:read))');
    assert.equal(shape(parseQuery('a AND b').filter), '(and "a" "b")');
    assert.equal(shape(parseQuery('-(a OR b)').filter), '(not (or "a" "b"))');
    assert.equal(shape(parseQuery('a OR b OR c').filter), '(or "a" "b" "c")');
    // only upper-case OR, AND and NOT are operators, and only as whole words
    assert.equal(shape(parseQuery('cats or dogs').filter), '(and "cats" "or" "dogs")');
    assert.equal(shape(parseQuery('ORACLE ANDROID NOTE').filter), '(and "ORACLE" "ANDROID" "NOTE")');
    assert.equal(shape(parseQuery('foo-bar 10:30').filter), '(and "foo-bar" "10:30")');
  });

  it('reads escapes in phrases and keeps words with quotes apart', () => {
    assert.equal(shape(parseQuery('subject:"say \\"hi\\" \\\\ bye"').filter), 'subject:"say \\"hi\\" \\\\ bye"');
    assert.equal(shape(parseQuery('crash"log"').filter), '(and "crash" "log")');
  });

  it('parses is:, has:, keyword:, dates and sizes', () => {
    assert.equal(shape(parseQuery('is:unread is:seen is:starred is:unanswered is:draft').filter), '(and is:unread is:read is:flagged is:unanswered is:draft)');
    assert.equal(shape(parseQuery('has:attachment -has:attachments').filter), '(and has:attachment (not has:attachment))');
    assert.equal(shape(parseQuery('keyword:$label1').filter), 'keyword:$label1');
    assert.equal(shape(parseQuery('after:2024-05-01 before:2024/6/9 on:today after:yesterday').filter), '(and after:2024-5-1 before:2024-6-9 on:0d after:1d)');
    assert.equal(shape(parseQuery('after:7d after:2W before:3m before:1y').filter), '(and after:7d after:2w before:3m before:1y)');
    assert.equal(shape(parseQuery('larger:500 larger:10k smaller:1.5M smaller:1GB larger:2kb').filter),
      `(and larger:500 larger:10240 smaller:${1.5 * 1024 * 1024} smaller:${1024 ** 3} larger:2048)`);
  });

  it('keeps in: apart as the scope', () => {
    assert.deepEqual(parseQuery('in:INBOX crash').scope, { type: 'folders', folders: [{ name: 'INBOX', start: 3, end: 8 }] });
    assert.deepEqual(parseQuery('in:"Bug reports" in:Archive x').scope.type, 'folders');
    assert.deepEqual(parseQuery('crash in:all').scope, { type: 'all' });
    assert.deepEqual(parseQuery('crash in:any').scope, { type: 'any' });
    assert.deepEqual(parseQuery('crash').scope, { type: 'here' });
    assert.equal(parseQuery('in:all').filter, undefined);
    // a folder called "all" in quotes is a folder
    assert.deepEqual(parseQuery('in:"all"').scope, { type: 'folders', folders: [{ name: 'all', start: 3, end: 8 }] });
  });

  it('names the error and where it is', () => {
    assert.deepEqual(error('from:'), { message: 'Expected a value after "from:"', start: 5, end: 6 });
    assert.deepEqual(error('subject:"login crash'), { message: 'Expected a closing quote, found the end of the query', start: 20, end: 21 });
    assert.deepEqual(error('(a OR b'), { message: 'Expected a closing parenthesis or a search term, found the end of the query', start: 7, end: 8 });
    assert.deepEqual(error('a) b'), { message: 'A ")" without a "(" before it', start: 1, end: 2 });
    assert.deepEqual(error('a OR'), { message: 'OR needs a search term on each side', start: 2, end: 4 });
    assert.deepEqual(error('OR a'), { message: 'OR needs a search term on each side', start: 0, end: 2 });
    assert.deepEqual(error('a NOT'), { message: 'NOT needs a search term after it', start: 2, end: 5 });
    assert.deepEqual(error('crash -'), { message: 'Expected a search term, found the end of the query', start: 7, end: 8 });
    assert.deepEqual(error('()'), { message: 'Expected a search term, found ")"', start: 1, end: 2 });
    assert.deepEqual(error('is:maybe'), { message: 'is: takes unread, read, flagged, unflagged, answered, unanswered or draft, not "maybe"', start: 3, end: 8 });
    assert.deepEqual(error('has:pdf'), { message: 'has: takes attachment, not "pdf"', start: 4, end: 7 });
    assert.deepEqual(error('x before:2024-02-30'), { message: 'No such date: 2024-02-30', start: 9, end: 19 });
    assert.equal(error('after:last-week').message, 'Not a date: "last-week" (use 2024-05-01, or an age: today, yesterday, 7d, 2w, 3m, 1y)');
    assert.equal(error('after:last-week').start, 6);
    assert.deepEqual(error('larger:10q'), { message: 'Not a size: "10q" (use 500, 10k, 1.5M or 1G)', start: 9, end: 10 });
    assert.equal(error('larger:5000G').message, 'That size is larger than any message (at most 4G)');
    assert.deepEqual(error('keyword:"my label"'), { message: 'A keyword cannot contain "a space"', start: 11, end: 12 });
    const unknown = error('frm:alice');
    assert.match(unknown.message, /^Unknown field "frm:" \(fields: from, to, cc/);
    assert.deepEqual([unknown.start, unknown.end], [0, 4]);
    assert.deepEqual(error('a (in:INBOX b)'), { message: 'in: applies to the whole query: it cannot be inside OR, NOT or parentheses', start: 3, end: 11 });
    assert.equal(error('a OR in:INBOX').message, 'in: applies to the whole query: it cannot be inside OR, NOT or parentheses');
    assert.equal(error('-in:INBOX').message, 'in: applies to the whole query: it cannot be inside OR, NOT or parentheses');
    assert.deepEqual(error('in:INBOX in:all'), { message: 'in:all already names every folder: remove the other in:', start: 9, end: 15 });
    assert.deepEqual(error('   '), { message: 'Type what to search for, e.g. from:someone is:unread', start: 0, end: 3 });
    assert.equal(error('""').message, 'An empty phrase matches nothing: put something between the quotes');
    assert.equal(error('x'.repeat(2001)).message, 'The query is too long (2001 characters; at most 2000)');
    assert.equal(new QueryError('m', 4, 5).withColumn, 'm (at column 5)');
  });

  it('costs linear time on hostile input, and refuses nesting deeper than the parser should recurse', async () => {
    const deep = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
    assert.equal(shape(parseQuery(deep(MAX_NESTING)).filter), '"a"');
    assert.doesNotThrow(() => parseQuery(`${'-'.repeat(MAX_NESTING - 1)}a`));
    for (const [query, at] of [[deep(500), MAX_NESTING], [`${'-'.repeat(1999)}a`, MAX_NESTING], [`${'NOT '.repeat(400)}a`, 4 * MAX_NESTING], [`${'-('.repeat(300)}`, MAX_NESTING]] as const) {
      assert.throws(() => parseQuery(query), (err: unknown) => err instanceof QueryError && /nests parentheses and negations too deep \(at most 32 levels\)/.test(err.message) && err.start === at, query.slice(0, 20));
    }
    // what does not nest is not counted: a "-" inside a word or a phrase, NOT inside a word, siblings
    assert.equal(nestingDepth(`a-b "${'('.repeat(50)}" NOTE ${'(a) '.repeat(50)}-x -y`).depth, 1);
    assert.equal(nestingDepth('-(a -(b NOT c))').depth, 5);
    // long input costs time linear in its length (CPU time at 1x and 4x), up to the 2,000-character
    // cap: every construct at once, and the error path of an unterminated phrase full of escapes
    const inputs: Array<[string, (n: number) => string]> = [
      ['every construct', (n) => 'a OR "x\\"y" -b (c NOT d) from:e '.repeat(Math.floor(n / 34))],
      ['escapes in an unterminated phrase', (n) => `"${'\\'.repeat(n - 1)}`],
    ];
    for (const [name, make] of inputs) {
      await assertLinear(name, make, (q) => {
        try {
          parseQuery(q);
        } catch (err) {
          assert.ok(err instanceof QueryError, String(err));
        }
      }, 480);
    }
  });

  it('quotes values that need it', () => {
    assert.equal(quoteValue('alice@example.test'), 'alice@example.test');
    assert.equal(quoteValue('Bug reports'), '"Bug reports"');
    assert.equal(quoteValue('-x'), '"-x"');
    assert.equal(quoteValue('say "hi"'), '"say \\"hi\\""');
    assert.equal(shape(parseQuery(`subject:${quoteValue('say "hi" (now)')}`).filter), 'subject:"say \\"hi\\" (now)"');
  });

  it('is generated from query.peggy (run npm run build:grammar after changing the grammar)', () => {
    const dir = join(__dirname, '..', '..', 'src', 'core', 'search');
    const grammar = readFileSync(join(dir, 'query.peggy'), 'utf8');
    const generated = peggy.generate(grammar, { output: 'source', format: 'es', allowedStartRules: ['Query', 'DateValue', 'SizeValue'] });
    assert.equal(readFileSync(join(dir, 'queryGrammar.js'), 'utf8').trim(), String(generated).trim());
  });
});

describe('search query compiler', () => {
  const now = new Date(2024, 4, 15, 12, 0, 0);

  it('compiles fields, flags, keywords and sizes to IMAP SEARCH keys', () => {
    assert.equal(imap('from:alice is:unread'), 'FROM "alice" UNSEEN');
    assert.equal(imap('to:bob cc:carol subject:"weekly report" body:trace'), 'TO "bob" CC "carol" SUBJECT "weekly report" BODY "trace"');
    assert.equal(imap('is:read is:flagged is:unflagged is:answered is:unanswered is:draft'), 'SEEN FLAGGED UNFLAGGED ANSWERED UNANSWERED DRAFT');
    assert.equal(imap('keyword:$label1 -keyword:done'), 'KEYWORD $label1 NOT KEYWORD done');
    assert.equal(imap('larger:10k smaller:1M'), 'LARGER 10240 SMALLER 1048576');
    assert.equal(imap('in:all'), 'ALL');
  });

  it('compiles free text to subject, sender or body', () => {
    assert.equal(imap('crash'), 'OR SUBJECT "crash" OR FROM "crash" BODY "crash"');
    assert.equal(imap('"login crash" is:unread'), 'OR SUBJECT "login crash" OR FROM "login crash" BODY "login crash" UNSEEN');
  });

  it('compiles OR, NOT and groups with parentheses where IMAP needs them', () => {
    assert.equal(imap('from:a OR from:b'), 'OR FROM "a" FROM "b"');
    assert.equal(imap('from:a OR from:b OR from:c'), 'OR FROM "a" OR FROM "b" FROM "c"');
    assert.equal(imap('(from:a is:unread) OR subject:x'), 'OR (FROM "a" UNSEEN) SUBJECT "x"');
    assert.equal(imap('-(from:a OR from:b) is:flagged'), 'NOT OR FROM "a" FROM "b" FLAGGED');
    assert.equal(imap('NOT (from:a subject:b)'), 'NOT (FROM "a" SUBJECT "b")');
    assert.equal(imap('--from:a'), 'FROM "a"');
  });

  it('escapes quotes and backslashes, and sends 8-bit text as a literal with CHARSET UTF-8', () => {
    assert.equal(imap('subject:"say \\"hi\\""'), 'SUBJECT "say \\"hi\\""');
    const compiled = compileQuery(parseQuery('from:Müller'), DOVECOT) as Extract<CompiledSearch, { exact: true }>;
    const tokens = searchTokens(compiled.key);
    assert.deepEqual(tokens[1], { type: 'LITERAL', value: Buffer.from('Müller') });
    assert.equal(needsCharset(tokens), true);
    assert.equal(needsCharset(searchTokens((compileQuery(parseQuery('from:Muller'), DOVECOT) as Extract<CompiledSearch, { exact: true }>).key)), false);
  });

  it('compiles dates as calendar days, with WITHIN as seconds from local midnight', () => {
    const at = { ...DOVECOT, now };
    assert.equal(imap('after:2024-05-01', at), 'SINCE 1-May-2024');
    assert.equal(imap('before:2024-05-01', at), 'BEFORE 1-May-2024');
    assert.equal(imap('on:2024-05-01', at), 'ON 1-May-2024');
    assert.equal(imap('after:7d', at), 'SINCE 8-May-2024');
    assert.equal(imap('after:2w', at), 'SINCE 1-May-2024');
    assert.equal(imap('before:3m', at), 'BEFORE 15-Feb-2024');
    assert.equal(imap('before:1y', at), 'BEFORE 15-May-2023');
    assert.equal(imap('on:today', at), 'ON 15-May-2024');
    assert.equal(imap('on:yesterday', at), 'ON 14-May-2024');
    const w = { ...WITHIN, now };
    assert.equal(imap('after:today', w), `YOUNGER ${12 * 3600}`);
    assert.equal(imap('after:7d', w), `YOUNGER ${7 * 86400 + 12 * 3600}`);
    assert.equal(imap('before:yesterday', w), `OLDER ${86400 + 12 * 3600}`);
    assert.equal(imap('on:yesterday', w), `YOUNGER ${86400 + 12 * 3600} OLDER ${12 * 3600}`);
    assert.equal(imap('on:today', w), `YOUNGER ${12 * 3600}`);
    // a day still to come: nothing arrived after it, everything before it
    assert.equal(imap('after:2030-01-01 from:x', w), 'NOT ALL');
    assert.equal(imap('before:2030-01-01 from:x', w), 'FROM "x"');
  });

  it('hands free text and has:attachment to X-GM-RAW on Gmail', () => {
    assert.equal(imap('login crash', GMAIL), 'X-GM-RAW "login" X-GM-RAW "crash"');
    assert.equal(imap('"login crash" from:ci', GMAIL), 'X-GM-RAW "\\"login crash\\"" FROM "ci"');
    assert.equal(imap('has:attachment is:unread', GMAIL), 'X-GM-RAW "has:attachment" UNSEEN');
    assert.equal(imap('-has:attachment', GMAIL), 'NOT X-GM-RAW "has:attachment"');
  });

  it('splits has:attachment into what the server narrows and what BODYSTRUCTURE decides', () => {
    const candidates = 'OR HEADER "Content-Type" "multipart/" OR HEADER "Content-Disposition" "" OR HEADER "Content-Type" "name=" (HEADER "Content-Type" "" NOT HEADER "Content-Type" "text/")';
    const split = (query: string) => {
      const compiled = compileQuery(parseQuery(query), DOVECOT);
      assert.equal(compiled.exact, false);
      if (compiled.exact) {
        throw new Error('exact');
      }
      return { with: compiled.withAttachment && renderKey(compiled.withAttachment), without: compiled.withoutAttachment && renderKey(compiled.withoutAttachment) };
    };
    assert.deepEqual(split('has:attachment from:ci'), { with: `${candidates} FROM "ci"`, without: undefined });
    assert.deepEqual(split('-has:attachment from:ci'), { with: undefined, without: 'FROM "ci"' });
    // exact under OR: with an attachment every from:ci matches, without one only those from:ci that are unread
    assert.deepEqual(split('from:ci (has:attachment OR is:unread)'), { with: `${candidates} FROM "ci"`, without: 'FROM "ci" UNSEEN' });
    // a split that cannot change the answer is no split
    assert.equal(imap('has:attachment OR -has:attachment'), 'ALL');
  });

  it('renders exactly the tokens imapflow sends', () => {
    const compiled = compileQuery(parseQuery('from:"a b" larger:1k'), DOVECOT) as Extract<CompiledSearch, { exact: true }>;
    assert.deepEqual(searchTokens(compiled.key), [
      { type: 'ATOM', value: 'FROM' },
      { type: 'STRING', value: 'a b' },
      { type: 'ATOM', value: 'LARGER' },
      { type: 'ATOM', value: '1024' },
    ]);
  });
});

describe('UID sets', () => {
  it('parses ESEARCH ALL sets, merges ranges and pages from the top', () => {
    const set = UidSet.parse('9:12,1:3,5,4,20');
    assert.equal(set.toString(), '1:5,9:12,20');
    assert.equal(set.size, 10);
    assert.equal(set.rangeCount, 3);
    assert.deepEqual(set.newest(4), [20, 12, 11, 10]);
    assert.deepEqual(set.newest(4, 10), [9, 5, 4, 3]);
    assert.deepEqual(set.newest(100, 2), [1]);
    assert.equal(set.countBelow(10), 6);
    assert.equal(set.has(4), true);
    assert.equal(set.has(6), false);
    assert.equal(set.without([3, 10, 20]).toString(), '1:2,4:5,9,11:12');
    assert.equal(set.with([6, 7, 8, 13]).toString(), '1:13,20');
    assert.equal(UidSet.of([5, 3, 4, 4, 9]).toString(), '3:5,9');
    assert.equal(UidSet.parse('7:3').toString(), '3:7');
    assert.equal(UidSet.parse('').isEmpty, true);
  });

  it('refuses what a UID set cannot hold', () => {
    for (const bad of ['1:*', '0', '1,,2', 'a', '99999999999', '1 2']) {
      assert.throws(() => UidSet.parse(bad), /Not a UID set/, bad);
    }
  });

  it('keeps 90,000 scattered hits as ranges', () => {
    const parts: string[] = [];
    for (let lo = 1; lo < 100_000; lo += 10) {
      parts.push(`${lo}:${lo + 8}`);
    }
    const set = UidSet.parse(parts.join(','));
    assert.equal(set.size, 90_000);
    assert.equal(set.rangeCount, 10_000);
    assert.deepEqual(set.newest(3), [99999, 99998, 99997]);
  });
});

describe('search completion', () => {
  const sources = {
    folders: [{ path: 'INBOX', name: 'INBOX' }, { path: 'Bug reports', name: 'Bug reports' }, { path: 'Archive/2024', name: '2024' }],
    addresses: [{ name: 'Dana Reporter', address: 'dana@reporter.test' }, { address: 'ci@build.test' }, { name: 'Marco', address: 'marco@dana-corp.test' }, { address: 'DANA@reporter.test' }],
    keywords: ['$label1', 'todo'],
  };
  const labels = (text: string, cursor?: number) => completeQuery(text, sources, cursor).map((c) => c.label);

  it('completes field names', () => {
    assert.deepEqual(labels('crash fr'), ['from:']);
    assert.deepEqual(labels('s'), ['subject:', 'smaller:']);
    assert.deepEqual(labels('-i'), ['-is:', '-in:']);
    assert.deepEqual(labels('crash '), []);
    assert.deepEqual(labels('"fr'), []);
    assert.equal(completeQuery('crash fr', sources)[0].query, 'crash from:');
  });

  it('completes addresses by address or name, folders, flags, dates and sizes', () => {
    assert.deepEqual(labels('from:dana'), ['from:dana@reporter.test', 'from:marco@dana-corp.test']);
    assert.deepEqual(completeQuery('is:unread from:rep', sources).map((c) => [c.label, c.description, c.query]), [['from:dana@reporter.test', 'Dana Reporter', 'is:unread from:dana@reporter.test']]);
    assert.deepEqual(labels('in:bug'), ['in:"Bug reports"']);
    assert.deepEqual(labels('in:a'), ['in:all', 'in:any', 'in:Archive/2024']);
    assert.deepEqual(labels('is:un'), ['is:unread', 'is:unseen', 'is:unflagged', 'is:unanswered']);
    assert.deepEqual(labels('has:'), ['has:attachment']);
    assert.deepEqual(labels('keyword:$'), ['keyword:$label1']);
    assert.deepEqual(labels('after:'), ['after:today', 'after:yesterday', 'after:7d', 'after:2w', 'after:1m', 'after:1y']);
    assert.deepEqual(labels('larger:1'), ['larger:100k', 'larger:1M', 'larger:10M']);
    // in the middle of a query: only the word at the cursor changes
    assert.equal(completeQuery('from:da is:unread', sources, 7)[0].query, 'from:dana@reporter.test is:unread');
  });
});

describe('saved searches', () => {
  it('reads the setting defensively', () => {
    const { searches, problems } = readSavedSearches([
      { name: 'Crash reports', query: 'subject:crash is:unread', accountId: 'work' },
      { query: 'from:ci' },
      { query: 'from:' },
      'nonsense',
      { name: 'again', query: 'from:ci' },
    ]);
    assert.deepEqual(searches, [{ name: 'Crash reports', query: 'subject:crash is:unread', accountId: 'work' }, { name: 'from:ci', query: 'from:ci' }]);
    assert.deepEqual(problems, ['entry 3: Expected a value after "from:" (at column 6)', 'entry 4: no query', 'entry 5: the same query twice']);
    assert.deepEqual(readSavedSearches({}).problems, ['imapExplorer.savedSearches is not a list']);
    assert.deepEqual(readSavedSearches(undefined), { searches: [], problems: [] });
  });

  it('adds, renames and removes', () => {
    const one = withSaved([], { name: 'CI', query: 'from:ci' });
    assert.deepEqual(withSaved(one, { name: 'Builds', query: 'from:ci' }), [{ name: 'Builds', query: 'from:ci' }]);
    assert.equal(withSaved(one, { name: 'CI work', query: 'from:ci', accountId: 'work' }).length, 2);
    assert.deepEqual(withoutSaved(one, { query: 'from:ci' }), []);
  });
});
