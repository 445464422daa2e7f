// The message view's patch rendering and code links, the in-memory apply behind Open as Diff, and
// the rule that workspace-touching code goes through vscode.workspace.fs and the git extension.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseViewMessage } from '../../src/messageView/protocol';
import { findCodeReferences } from '../../src/core/workspace/codeRefs';
import { patchBodyHtml, plainTextWithCodeLinks } from '../../src/core/workspace/mailView';
import { applyFilePatch, parseDiff } from '../../src/core/workspace/patchMail';

describe('code links in the message view', () => {
  it('links the frames by index, keeps the rest of the plain-text rendering, and escapes everything', () => {
    const text = 'Crash <b>bold</b>:\r\n    at run (/x/src/server.ts:4:2)\r\n> quoted at f (/y/src/parser.ts:9:1)\r\nhttps://example.com/a\r\n';
    const refs = findCodeReferences(text);
    const html = plainTextWithCodeLinks(text, refs.map((r, i) => ({ start: r.start, end: r.end, title: `Open <file ${i}>` })));
    assert.match(html, /<a data-mx-code="0" tabindex="0" role="link" title="Open &lt;file 0&gt;">\/x\/src\/server\.ts:4:2<\/a>/);
    assert.match(html, /<blockquote class="mx-quote">.*<a data-mx-code="1"[^>]*>\/y\/src\/parser\.ts:9:1<\/a>/s);
    assert.match(html, /<a data-href="https:\/\/example\.com\/a"/);
    assert.ok(html.includes('&lt;b&gt;bold&lt;/b&gt;'));
    assert.ok(!/[\uE000-\uE002]/.test(html));
  });

  it('ignores markers a sender wrote and keeps the link ranges right', () => {
    const text = 'x\uE0000\uE001evil\uE002 at a (/src/server.ts:1:1)';
    const refs = findCodeReferences(text);
    const html = plainTextWithCodeLinks(text, refs.map((r) => ({ start: r.start, end: r.end, title: 't' })));
    assert.equal((html.match(/<a data-mx-code/g) ?? []).length, 1);
    assert.match(html, />\/src\/server\.ts:1:1<\/a>/);
    assert.ok(html.includes('x0evil at a ('));
  });

  it('accepts only an index for a code link click', () => {
    assert.deepEqual(parseViewMessage({ type: 'openCodeLink', index: 3 }), { type: 'openCodeLink', index: 3 });
    assert.equal(parseViewMessage({ type: 'openCodeLink', index: '3' }), undefined);
    assert.equal(parseViewMessage({ type: 'openCodeLink', index: -1 }), undefined);
    assert.equal(parseViewMessage({ type: 'openCodeLink', path: '/etc/passwd' }), undefined);
  });
});

describe('patch view', () => {
  it('shows the commit message and the diff as coloured hunks, escaped', () => {
    const text = 'Fix <script>alert(1)</script>\n\nSigned-off-by: A <a@x.test>\n---\n x | 2 +-\n\ndiff --git a/<img src=x>.c b/<img src=x>.c\n--- a/<img src=x>.c\n+++ b/<img src=x>.c\n@@ -1,2 +1,2 @@\n-<script>old()</script>\n+<img src=x onerror=alert(1)>\n ctx\n-- \n2.39.5\n';
    const html = patchBodyHtml(text);
    assert.ok(html);
    assert.match(html, /class="mx-patch-message"/);
    assert.match(html, /class="d2h-del[^"]*"/);
    assert.match(html, /class="d2h-ins[^"]*"/);
    assert.ok(!/<script|<img/i.test(html.replace(/<style>[\s\S]*?<\/style>/g, '')), 'sender text is escaped');
    assert.equal(patchBodyHtml('just text'), undefined);
  });
});

describe('Open as Diff applies in memory', () => {
  const file = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
  const diff = 'diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n line 1\n-line 2\n+LINE 2\n line 3\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+LINE 10\n line 11\n';

  it('applies every hunk', () => {
    const [patch] = parseDiff(diff);
    const result = applyFilePatch(file, patch.patch);
    assert.ok(result.ok);
    assert.match(result.text, /LINE 2\n[\s\S]*LINE 10\n/);
  });

  it('names the hunk that does not apply', () => {
    const [patch] = parseDiff(diff);
    const result = applyFilePatch(file.replace('line 10', 'changed'), patch.patch);
    assert.deepEqual(result, { ok: false, hunk: 2, header: '@@ -9,3 +9,3 @@' });
  });
});

describe('where it runs', () => {
  it('touches the workspace only through vscode.workspace.fs, findFiles and git run in the repository', () => {
    const dir = join(__dirname, '..', '..', 'src', 'workspace');
    for (const name of readdirSync(dir)) {
      const source = readFileSync(join(dir, name), 'utf8');
      assert.ok(!/from 'node:fs|from 'fs|require\(['"](?:node:)?fs/.test(source), `${name} reads files with node:fs`);
      assert.ok(!/from 'node:child_process'/.test(source), `${name} starts processes itself`);
      // a local path is taken from a URI in one place only: git's working directory, for a file: repository
      const fsPaths = source.match(/\.fsPath\b/g) ?? [];
      assert.equal(fsPaths.length, name === 'git.ts' ? 1 : 0, `${name} uses .fsPath`);
    }
    const git = readFileSync(join(dir, 'git.ts'), 'utf8');
    assert.match(git, /rootUri\.scheme !== 'file'/);
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { extensionKind?: string[] };
    assert.deepEqual(pkg.extensionKind, ['workspace']);
  });
});
