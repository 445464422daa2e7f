// Patch mail recognition, series grouping, trailers and review trimming, on real
// `git format-patch` output made by the test (test/fixtures/patches.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { isPatch, isPatchMessage, patchRowKind, parseDiff, parsePatchSubject, splitPatchBody } from '../../src/core/workspace/patchMail';
import { collectTrailers, groupSeries, newestVersion, seriesBranchName, seriesFor, type ThreadMessage, trailersInReply } from '../../src/core/workspace/series';
import { quotePatch, reviewText, trimReview } from '../../src/core/workspace/review';
import { makePatchFixtures, type PatchFixtures } from '../fixtures/patches';

let fixtures: PatchFixtures;

async function threadMessage(key: string, raw: Buffer): Promise<ThreadMessage & { text: string; references?: string[] }> {
  const parsed = await simpleParser(raw);
  const refs = parsed.references ? (Array.isArray(parsed.references) ? parsed.references : [parsed.references]) : undefined;
  return { key, messageId: parsed.messageId, inReplyTo: parsed.inReplyTo, subject: parsed.subject, from: parsed.from?.value[0]?.address, date: parsed.date, text: parsed.text ?? '', ...(refs ? { references: refs } : {}) };
}

describe('patch subjects', () => {
  it('reads the tag of format-patch and list subjects', () => {
    assert.deepEqual(parsePatchSubject('[PATCH] fix the parser'), { version: 1, index: 1, total: 1, tags: [], title: 'fix the parser' });
    assert.deepEqual(parsePatchSubject('[PATCH v2 3/7] net: tidy'), { version: 2, index: 3, total: 7, tags: [], title: 'net: tidy' });
    assert.deepEqual(parsePatchSubject('[PATCH net-next v3 0/5] Cover'), { version: 3, index: 0, total: 5, tags: ['net-next'], title: 'Cover' });
    assert.deepEqual(parsePatchSubject('[RFC PATCH 02/12] x'), { version: 1, index: 2, total: 12, tags: ['RFC'], title: 'x' });
    assert.equal(parsePatchSubject('[dev-list] [PATCH 1/2] y')?.index, 1);
    assert.equal(parsePatchSubject('Re: [PATCH 1/2] y'), undefined);
    assert.equal(parsePatchSubject('[ANNOUNCE] release'), undefined);
    assert.equal(parsePatchSubject('no tag at all'), undefined);
    assert.equal(parsePatchSubject('[PATCH'), undefined);
  });

  it('costs linear time on a hostile subject', () => {
    const hostile = `${'['.repeat(50000)}${' PATCH v'.repeat(20000)}`;
    assert.equal(parsePatchSubject(hostile), undefined);
  });
});

describe('patch mail', () => {
  before(() => {
    fixtures = makePatchFixtures();
  });
  after(() => fixtures?.remove());

  it('splits commit message, notes and diff, and parses the diff with jsdiff', async () => {
    const part = await simpleParser(fixtures.v2.parts[1]);
    const body = splitPatchBody(part.text ?? '');
    assert.ok(body);
    assert.match(body.message, /^Five attempts by default\.\n\nSigned-off-by: Carla Contributor/);
    assert.match(body.notes, /lib\/util\.py \| 7/);
    assert.ok(body.diff.startsWith('diff --git a/lib/util.py b/lib/util.py'));
    assert.ok(!body.diff.includes('2.39') && !body.diff.includes('\n-- \n'), 'the signature is not part of the diff');
    const files = parseDiff(body.diff);
    assert.equal(files.length, 1);
    assert.equal(files[0].newPath, 'lib/util.py');
    assert.equal(files[0].patch.hunks.length, 1);
    assert.equal(isPatchMessage({ subject: part.subject, text: part.text }), true);
  });

  it('recognises a patch attachment, in BODYSTRUCTURE terms and once loaded', async () => {
    const parsed = await simpleParser(fixtures.attached);
    assert.equal(isPatchMessage({ subject: 'no tag', attachments: parsed.attachments.map((a) => ({ contentType: a.contentType, filename: a.filename })) }), true);
    const structure = { type: 'multipart/mixed', childNodes: [{ part: '1', type: 'text/plain' }, { part: '2', type: 'text/x-patch', parameters: { name: 'fix.patch' } }] };
    assert.equal(isPatch({ subject: 'Please apply', structure: structure as never }), true);
    assert.equal(isPatch({ subject: 'Hello', structure: { type: 'text/plain', part: '1' } as never }), false);
    assert.equal(isPatch({ subject: '[PATCH 0/3] cover letters are not patches' }), false);
    assert.equal(isPatch({ subject: '[PATCH v2 2/3] util' }), true);
    // how the Mail tree marks rows: a patch, a series' cover letter, anything else
    assert.equal(patchRowKind({ subject: '[PATCH v2 2/3] util' }), 'patch');
    assert.equal(patchRowKind({ subject: 'Please apply', structure: structure as never }), 'patch');
    assert.equal(patchRowKind({ subject: '[PATCH net-next v3 0/5] Cover' }), 'series');
    assert.equal(patchRowKind({ subject: 'Re: [PATCH v2 2/3] util' }), undefined);
    assert.equal(patchRowKind({ subject: '[ANNOUNCE] 2.0' }), undefined);
  });

  it('groups v1 and v2 into series, picks v2 and collects the review trailers of v2 only', async () => {
    const raws = [fixtures.v1.cover, ...fixtures.v1.parts, fixtures.v2.cover, ...fixtures.v2.parts, fixtures.reviewReply, fixtures.ackReply, fixtures.oldReply];
    const messages = await Promise.all(raws.map((raw, i) => threadMessage(String(i + 1), raw)));
    const all = groupSeries(messages);
    assert.equal(all.length, 2);
    const v1Part = messages[1];
    const found = seriesFor(all, v1Part);
    assert.ok(found);
    assert.equal(found.series.version, 1);
    assert.equal(found.newest.version, 2, 'b4 am applies the newest version');
    assert.deepEqual(found.series.otherVersions, [2]);
    const v2 = found.newest;
    assert.equal(v2.title, 'Retry support');
    assert.equal(v2.cover?.message.messageId, fixtures.messageIds.v2Cover);
    assert.deepEqual(v2.parts.map((p) => p?.subject.index), [1, 2, 3]);
    assert.deepEqual(v2.missing, []);
    const replies = messages.filter((m) => !parsePatchSubject(m.subject));
    const trailers = collectTrailers(v2, replies, messages);
    assert.deepEqual(trailers.get(1), [{ name: 'Acked-by', value: 'Max Maintainer <max@example.test>' }]);
    assert.deepEqual(trailers.get(2), [
      { name: 'Reviewed-by', value: 'Rita Reviewer <rita@example.test>' },
      { name: 'Acked-by', value: 'Max Maintainer <max@example.test>' },
    ]);
    assert.ok(!JSON.stringify([...trailers.values()]).includes('Tested-by'), 'v1 trailers stay with v1');
    assert.ok(!JSON.stringify([...trailers.values()]).includes('quoted@'), 'quoted trailers are not the replier\'s');
    assert.equal(seriesBranchName(v2), 'retry-support-v2');
  });

  it('tells which parts are missing', async () => {
    const raws = [fixtures.v2.cover, fixtures.v2.parts[0], fixtures.v2.parts[2]];
    const messages = await Promise.all(raws.map((raw, i) => threadMessage(String(i), raw)));
    const [series] = groupSeries(messages);
    assert.deepEqual(series.missing, [2]);
    assert.equal(newestVersion([series], series), series);
  });

  it('groups parts sent without threading by sender, version and size', () => {
    const m = (key: string, subject: string): ThreadMessage => ({ key, subject, from: 'a@example.test', messageId: `<${key}@x>` });
    const all = groupSeries([m('1', '[PATCH 1/2] a'), m('2', '[PATCH 2/2] b')]);
    assert.equal(all.length, 1);
    assert.deepEqual(all[0].missing, []);
  });

  it('reads trailers only from the reply\'s own lines, with an address', () => {
    assert.deepEqual(trailersInReply('Reviewed-by: A <a@x.test>\n> Acked-by: B <b@x.test>\nTested-by: later\nacked-by:  C  <c@x.test>\r\n'), [
      { name: 'Reviewed-by', value: 'A <a@x.test>' },
      { name: 'Acked-by', value: 'C  <c@x.test>' },
    ]);
  });
});

describe('reply with review', () => {
  const patch = [
    'Commit message line.',
    '',
    'Signed-off-by: C <c@x.test>',
    '---',
    ' a.c | 2 +-',
    '',
    'diff --git a/a.c b/a.c',
    'index 1..2 100644',
    '--- a/a.c',
    '+++ b/a.c',
    '@@ -1,9 +1,9 @@',
    ' one',
    ' two',
    ' three',
    ' four',
    '-five',
    '+FIVE',
    ' six',
    ' seven',
    ' eight',
    '@@ -20,3 +20,3 @@',
    ' x',
    '-y',
    '+Y',
    'diff --git a/b.c b/b.c',
    '--- a/b.c',
    '+++ b/b.c',
    '@@ -1,2 +1,2 @@',
    '-old',
    '+new',
  ].join('\n');

  it('keeps only the commented hunks with three lines of context, the file header and the text around', () => {
    const quoted = quotePatch(patch).split('\n');
    const at = quoted.indexOf('> +FIVE');
    const draft = ['Hi Carla,', '', 'On Monday you wrote:', ...quoted.slice(0, at + 1), '', 'Why upper case?', '', ...quoted.slice(at + 1), '', 'Thanks,', 'Rita'].join('\n');
    const trimmed = trimReview(draft);
    assert.equal(
      trimmed,
      ['Hi Carla,', '', 'On Monday you wrote:', '> diff --git a/a.c b/a.c', '> index 1..2 100644', '> --- a/a.c', '> +++ b/a.c', '> @@ -1,9 +1,9 @@', '> [...]', '>  four', '> -five', '> +FIVE', '', 'Why upper case?', '', '> [...]', '', 'Thanks,', 'Rita'].join('\n'),
    );
    assert.ok(!trimmed.includes('b.c'), 'an uncommented file is dropped');
    assert.ok(!trimmed.includes('Commit message line'), 'an uncommented commit message is dropped');
  });

  it('quotes the patch without its signature', () => {
    assert.equal(quotePatch('msg\n\ndiff --git a/x b/x\n-- \n2.39.5\n'), '> msg\n>\n> diff --git a/x b/x');
  });

  it('quotes the diff of a patch attachment when the body has none, so comments can go under its lines', () => {
    const attachment = 'diff --git a/x b/x\r\n--- a/x\r\n+++ b/x\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n';
    const text = reviewText('Signed-off-by: C <c@x.test>\n---\n x | 2 +-\n\n', attachment);
    assert.equal(text, 'Signed-off-by: C <c@x.test>\n---\n x | 2 +-\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
    const draft = `${quotePatch(text)}\nwhy b?\n`;
    assert.match(trimReview(draft), /> \+b\nwhy b\?/);
    // a body that holds the diff itself is quoted as it is
    assert.equal(reviewText('m\n\ndiff --git a/y b/y\n', attachment), 'm\n\ndiff --git a/y b/y\n');
    assert.equal(reviewText('just text', undefined), 'just text');
  });

  it('leaves a draft without comments in the quote as it is', () => {
    const draft = `Looks fine.\n\n${quotePatch(patch)}\n`;
    assert.equal(trimReview(draft), draft);
  });
});
