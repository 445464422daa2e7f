// Patch mail through the real pipeline: `git format-patch` output seeded into Dovecot, the series
// found and its raw bytes fetched by the product's code, `git am -3` into a temporary clone,
// through both git runners (a child process, and VS Code tasks whose executor runs the same argv
// locally: test/support/gitRunners.ts); and message links looked up by Message-ID across folders.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchHeaderPage, type MessageSummary } from '../../src/core/mail/headers';
import { listFolders } from '../../src/core/mail/folders';
import { abortAm, applyPatches, commitText, findCommits } from '../../src/core/workspace/gitAm';
import { findMessageById, lookupOrder, messageLink, parseMessageLink } from '../../src/core/workspace/messageLink';
import { loadSeries } from '../../src/core/workspace/seriesLoader';
import { cloneTarget, CONTRIBUTOR, gitIn, makePatchFixtures, MAINTAINER, NON_ASCII_AUTHOR, type PatchFixtures } from '../fixtures/patches';
import { DEFAULT_USER, type DovecotServer, startDovecot } from '../support/dovecot';
import { createFolders, saveMessage } from '../support/seed';
import { bothRunners } from '../support/gitRunners';
import { testSession } from '../support/session';

let server: DovecotServer;
let fixtures: PatchFixtures;
let inbox: MessageSummary[];

const ODD_ID = '<odd+id/%20?&=#"q\\"x"@example.test>';

function log(repo: string, format: string, range = 'HEAD'): string[] {
  return gitIn(repo, ['log', '--reverse', `--format=${format}%x00`, range, '--not', 'origin/main']).split('\0\n').map((s) => s.replace(/\0$/, '')).filter(Boolean);
}

function message(subject: string, id: string): Buffer {
  return Buffer.from(`From: Dana <dana@reporter.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n\r\nHello.\r\n`);
}

async function seriesOf(uid: number) {
  const session = testSession(server);
  try {
    return await session.withMailbox('INBOX', (client) => loadSeries(client, inbox, uid));
  } finally {
    await session.close();
  }
}

function uidOf(subject: string | RegExp): number {
  const found = inbox.find((m) => (typeof subject === 'string' ? m.subject === subject : subject.test(m.subject)));
  assert.ok(found, `no message ${String(subject)}`);
  return found.uid;
}

describe('workspace features against Dovecot', () => {
  before(async () => {
    fixtures = makePatchFixtures();
    server = await startDovecot();
    for (const raw of [fixtures.v1.cover, ...fixtures.v1.parts, fixtures.oldReply, fixtures.v2.cover, ...fixtures.v2.parts, fixtures.reviewReply, fixtures.ackReply, fixtures.conflicting, fixtures.attached, fixtures.nonAsciiCrlf]) {
      saveMessage(server, DEFAULT_USER.name, 'INBOX', raw);
    }
    createFolders(server, DEFAULT_USER.name, ['Archive', 'Lists', 'Lists.dev']);
    saveMessage(server, DEFAULT_USER.name, 'INBOX', message('In the inbox', '<inbox-1@example.test>'));
    saveMessage(server, DEFAULT_USER.name, 'Lists.dev', message('On a list', '<list-1@example.test>'));
    saveMessage(server, DEFAULT_USER.name, 'Lists.dev', message('Odd id', ODD_ID));
    // SEARCH HEADER matches substrings: a longer id containing the wanted one must not be taken
    saveMessage(server, DEFAULT_USER.name, 'Archive', message('Longer id', '<xlist-1@example.test>'));
    const session = testSession(server);
    inbox = (await session.withMailbox('INBOX', (c, mb) => fetchHeaderPage(c, mb, 200))).messages;
    await session.close();
  });
  after(async () => {
    await server?.stop();
    fixtures?.remove();
  });

  for (const runner of bothRunners()) {
  describe(`patches from the server into git (${runner.name} runner)`, () => {
    const gitFor = (root: string) => runner.make(root);
    /** No scratch file is left under .git, and (task runner) no argument could be taken for a VS Code variable. */
    const clean = (target: string) => {
      const scratch = join(target, '.git', 'imap-explorer');
      assert.deepEqual(existsSync(scratch) ? readdirSync(scratch) : [], [], 'scratch folders are removed');
      assert.ok(runner.specs.every((spec) => spec.command === 'git' && spec.cwd.length > 0 && ![spec.cwd, ...spec.args].some((a) => a.includes('${'))));
    };

    it('applies the newest version of a series, picked from a v1 part, on a new branch with the review trailers', async () => {
      const loaded = await seriesOf(uidOf('[PATCH 2/3] util: retry a few times'));
      assert.equal(loaded.pickedVersion, 1);
      assert.equal(loaded.series?.version, 2);
      assert.deepEqual(loaded.parts.map((p) => p.index), [1, 2, 3]);
      assert.deepEqual(loaded.missing, []);
      // the raw bytes as the server holds them (CRLF), not decoded text
      assert.ok(loaded.parts.every((p) => p.raw.includes('\r\n')));
      const target = cloneTarget(fixtures);
      const result = await applyPatches(gitFor(target), loaded.parts.map((p) => ({ label: p.label, raw: p.raw, trailers: p.trailers })), { branch: 'retry-support-v2', addTrailers: true });
      assert.equal(result.status, 'applied', JSON.stringify(result));
      assert.equal(result.status === 'applied' && result.trailersAdded, 4);
      assert.equal(gitIn(target, ['branch', '--show-current']).trim(), 'retry-support-v2');
      assert.deepEqual(log(target, '%s'), ['parser: accept empty input', 'util: retry a few times', 'docs: describe retries']);
      assert.deepEqual(log(target, '%an <%ae>'), Array(3).fill(`${CONTRIBUTOR.name} <${CONTRIBUTOR.email}>`));
      assert.deepEqual(log(target, '%cn'), Array(3).fill(MAINTAINER.name));
      const bodies = log(target, '%B');
      assert.match(bodies[0], /Signed-off-by: Carla Contributor <carla@example\.test>\nAcked-by: Max Maintainer <max@example\.test>\n$/);
      assert.match(bodies[1], /^util: retry a few times\n\nFive attempts by default\.\n\nSigned-off-by: Carla Contributor <carla@example\.test>\nReviewed-by: Rita Reviewer <rita@example\.test>\nAcked-by: Max Maintainer <max@example\.test>\n$/);
      assert.ok(!bodies.join('').includes('Tested-by'), 'the v1 Tested-by stays with v1');
      assert.match(readFileSync(join(target, 'lib/util.py'), 'utf8'), /times=5/);
      assert.equal(gitIn(target, ['status', '--porcelain']), '');
      // authors' dates survive the trailer rewrite
      assert.deepEqual(log(target, '%aI'), ['2026-03-01T10:00:00Z', '2026-03-02T10:00:00Z', '2026-03-01T10:00:00Z'].map((d) => d.replace('Z', '+00:00')));
      assert.equal(gitIn(target, ['fsck', '--no-progress']).trim(), '', 'the rewritten commits are sound objects');
      clean(target);
    });

    it('adds no trailer that a VS Code task would take for a variable, and the rest as asked', async () => {
      const loaded = await seriesOf(uidOf('[PATCH] CONTRIBUTING: how to send patches'));
      const target = cloneTarget(fixtures);
      const trailers = [{ name: 'Reviewed-by' as const, value: 'Rita Reviewer <rita@example.test>' }, { name: 'Tested-by' as const, value: '${command:workbench.action.quit} <x@example.test>' }];
      const result = await applyPatches(gitFor(target), loaded.parts.map((p) => ({ ...p, trailers })), { addTrailers: true });
      assert.equal(result.status, 'applied', JSON.stringify(result));
      assert.equal(result.status === 'applied' && result.trailersAdded, 1);
      const body = log(target, '%B')[0];
      assert.match(body, /Reviewed-by: Rita Reviewer <rita@example\.test>\n$/);
      assert.ok(!body.includes('command:'), body);
      clean(target);
    });

    it('finds the commits that hex strings name and shows one', async () => {
      const target = cloneTarget(fixtures);
      const head = gitIn(target, ['rev-parse', 'HEAD']).trim();
      const blob = gitIn(target, ['rev-parse', 'HEAD:src/parser.c']).trim();
      const runnerFor = gitFor(target);
      const found = await findCommits(runnerFor, [head.slice(0, 10).toUpperCase(), head.slice(0, 7), blob.slice(0, 12), 'deadbeef12', 'not-hex']);
      assert.deepEqual([...found.entries()], [[head.slice(0, 10).toUpperCase(), head], [head.slice(0, 7), head]]);
      assert.equal((await findCommits(runnerFor, ['0123456789abcdef'])).size, 0);
      const shown = await commitText(runnerFor, head);
      assert.match(shown, new RegExp(`^commit ${head}\\nAuthor: +`, 'm'));
      assert.match(shown, /^diff --git /m);
      assert.ok(!shown.includes('\u001b['), 'no colour codes');
      clean(target);
    });

    it('leaves the trailers out unless asked, and stays on the current branch', async () => {
      const loaded = await seriesOf(uidOf('[PATCH v2 0/3] Retry support'));
      const target = cloneTarget(fixtures);
      const result = await applyPatches(gitFor(target), loaded.parts.map((p) => ({ label: p.label, raw: p.raw, trailers: p.trailers })));
      assert.equal(result.status, 'applied');
      assert.equal(gitIn(target, ['branch', '--show-current']).trim(), 'main');
      assert.ok(!log(target, '%B').join('').match(/Reviewed-by|Acked-by/));
    });

    it('applies a patch sent as a text/x-patch attachment', async () => {
      const loaded = await seriesOf(uidOf('[PATCH] CONTRIBUTING: how to send patches'));
      assert.equal(loaded.parts.length, 1);
      const target = cloneTarget(fixtures);
      const result = await applyPatches(gitFor(target), loaded.parts);
      assert.equal(result.status, 'applied', JSON.stringify(result));
      assert.deepEqual(log(target, '%s'), ['CONTRIBUTING: how to send patches']);
      assert.equal(readFileSync(join(target, 'CONTRIBUTING.md'), 'utf8'), '# Contributing\n\nSend patches to list@example.test.\n');
    });

    it('applies a CRLF patch mail with a non-ASCII author and body byte for byte', async () => {
      const loaded = await seriesOf(uidOf('[PATCH] NOTICE: credit the translators'));
      const target = cloneTarget(fixtures);
      const result = await applyPatches(gitFor(target), loaded.parts);
      assert.equal(result.status, 'applied', JSON.stringify(result));
      assert.deepEqual(log(target, '%an <%ae>'), [`${NON_ASCII_AUTHOR.name} <${NON_ASCII_AUTHOR.email}>`]);
      assert.match(log(target, '%B')[0], /Danke schön, tack så mycket\.\n\nSigned-off-by: Zoë Ångström-Øvergård <zoe@example\.test>/);
      assert.deepEqual(readFileSync(join(target, 'NOTICE')), Buffer.from('Grüße aus Malmö — ÆØÅ\n', 'utf8'));
    });

    it('stops at the patch that conflicts, says which, leaves git\'s am state, and aborts the whole series', async () => {
      const series = await seriesOf(uidOf('[PATCH v2 1/3] parser: accept empty input'));
      const target = cloneTarget(fixtures);
      const host = gitFor(target);
      assert.equal((await applyPatches(host, series.parts)).status, 'applied');
      const before = gitIn(target, ['rev-parse', 'HEAD']).trim();
      const attached = await seriesOf(uidOf('[PATCH] CONTRIBUTING: how to send patches'));
      const conflicting = await seriesOf(uidOf('[PATCH] parser: return -1 for NULL'));
      const result = await applyPatches(host, [...attached.parts, ...conflicting.parts]);
      assert.equal(result.status, 'conflict', JSON.stringify(result));
      if (result.status !== 'conflict') {
        return;
      }
      assert.equal(result.failed, 1, 'the second patch failed');
      assert.equal(result.applied, 1);
      assert.deepEqual(result.conflicts, ['src/parser.c']);
      assert.match(result.message, /parser: return -1 for NULL/);
      const status = execFileSync('git', ['status'], { cwd: target, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
      assert.match(status, /You are in the middle of an am session/);
      assert.match(status, /both modified:\s+src\/parser\.c/);
      assert.match(readFileSync(join(target, 'src/parser.c'), 'utf8'), /^<<<<<<< /m);
      // a second apply is refused while the am session is open
      const refused = await applyPatches(host, attached.parts);
      assert.deepEqual(refused, { status: 'refused', message: 'A git am is in progress in this repository. Finish or abort it first.' });
      await abortAm(host);
      assert.equal(gitIn(target, ['rev-parse', 'HEAD']).trim(), before, 'abort undoes the applied part of the series too');
      assert.equal(gitIn(target, ['status', '--porcelain']), '');
      clean(target);
    });

    it('refuses an invalid or existing branch name without touching the repository', async () => {
      const target = cloneTarget(fixtures);
      const host = gitFor(target);
      const loaded = await seriesOf(uidOf('[PATCH] CONTRIBUTING: how to send patches'));
      assert.equal((await applyPatches(host, loaded.parts, { branch: 'bad..name' })).status, 'refused');
      assert.equal((await applyPatches(host, loaded.parts, { branch: 'main' })).status, 'refused');
      assert.equal(gitIn(target, ['rev-parse', 'HEAD']).trim(), gitIn(target, ['rev-parse', 'origin/main']).trim());
    });
  });
  }

  describe('message links against the server', () => {
    let folders: string[];
    before(async () => {
      const session = testSession(server);
      folders = lookupOrder(await session.run((c) => listFolders(c)));
      await session.close();
    });

    const find = async (id: string) => {
      const session = testSession(server);
      try {
        return await session.run(() => findMessageById(session, folders, id));
      } finally {
        await session.close();
      }
    };

    it('finds a message by Message-ID in INBOX', async () => {
      const found = await find('<inbox-1@example.test>');
      assert.equal(found?.path, 'INBOX');
      assert.equal(found && inbox.find((m) => m.uid === found.uid)?.subject, 'In the inbox');
    });

    it('finds a message in another folder, not a longer id that contains it', async () => {
      const found = await find('<list-1@example.test>');
      assert.equal(found?.path, 'Lists.dev');
    });

    it('says nothing is there for an unknown Message-ID', async () => {
      assert.equal(await find('<nobody@example.test>'), undefined);
    });

    it('opens a link whose Message-ID needs escaping, in the URI and in IMAP', async () => {
      const link = new URL(messageLink('vscode', 'imap-explorer.imap-mailbox-explorer', ODD_ID));
      const parsed = parseMessageLink(decodeURIComponent(link.pathname));
      assert.equal(parsed?.messageId, ODD_ID);
      const found = await find(parsed!.messageId);
      assert.equal(found?.path, 'Lists.dev');
    });
  });
});
