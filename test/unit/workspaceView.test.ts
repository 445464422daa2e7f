// The message view's patch rendering and code links, the in-memory apply behind Open as Diff, and
// where git runs (child process or VS Code task) and the rule that workspace-touching code goes
// through vscode.workspace.fs and a git runner.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseViewMessage } from '../../src/messageView/protocol';
import { findCodeReferences } from '../../src/core/workspace/codeRefs';
import { attachedPatchDocument, htmlBodyText, htmlCodeLinks, patchBodyHtml, plainTextWithCodeLinks } from '../../src/core/workspace/mailView';
import { type BodyInput, renderBody } from '../../src/core/render/body';
import { trimChars } from '../../src/core/text';
import { applyFilePatch, parseDiff } from '../../src/core/workspace/patchMail';
import { trailerArgument } from '../../src/core/workspace/gitAm';
import { commonDirOf, findRepositoryRoot, gitDirOf, type RepoFiles, resolvePath, whereGitRuns } from '../../src/core/workspace/gitRunner';
import { parseGitRemotes } from '../../src/core/workspace/share';
import { gitTaskSpec } from '../../src/workspace/gitTask';

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

  it('links the frames in the text of an HTML body, never inside the mail\'s own links, scripts or styles, escaped', () => {
    const html = '<html><head><style>p{}</style></head><body><p>Crash &lt;x&gt; on <b>staging</b>:</p>'
      + '<pre>Error: boom\n    at run (/x/src/server.ts:4:2)\n    at main (/x/src/app.ts:9:1)</pre>'
      + '<p>see <a href="https://example.com/">src/parser.c:7</a>, <b>src/parser.c</b>:8 and <code>src/parser.c:5</code></p>'
      + '<script>at x (/x/src/evil.ts:1:1)</script><span data-mx-code="0">not ours</span></body></html>';
    const input = (codeLinks?: BodyInput['codeLinks']): BodyInput => ({ html, inline: new Map(), remote: new Map(), ...(codeLinks ? { codeLinks } : {}) });
    // the render worker's first pass collects the text nodes, the host finds and resolves the frames in them
    const collected = renderBody(input({ collectTexts: true }));
    const body = htmlBodyText(collected.texts ?? []);
    assert.ok(body.text.includes('at run (/x/src/server.ts:4:2)'));
    assert.ok(!body.text.includes('evil.ts') && !body.text.includes('parser.c:7') && !body.text.includes('p{}'));
    const refs = findCodeReferences(body.text);
    const links = htmlCodeLinks(body, refs.map((r, i) => ({ start: r.start, end: r.end, title: `Open <file ${i}>` })));
    // the second pass writes them as links
    const out = renderBody(input({ links })).document;
    const found = [...out.matchAll(/<a data-mx-code="(\d+)" tabindex="0" role="link" title="([^"]*)">([^<]*)<\/a>/g)].map((m) => [Number(m[1]), m[2], m[3]]);
    assert.deepEqual(found.map((l) => l[2]), ['/x/src/server.ts:4:2', '/x/src/app.ts:9:1', 'src/parser.c:5'], 'a path split by markup stays text');
    assert.deepEqual(found.map((l) => l[0]), [0, 1, 2]);
    assert.equal(found[0][1], 'Open &lt;file 0&gt;');
    // the mail's own link is still its own; what a sender wrote as data-mx-code is dropped; text stays escaped
    assert.match(out, /<a data-href="https:\/\/example\.com\/"[^>]*>src\/parser\.c:7<\/a>/);
    assert.equal((out.match(/data-mx-code="/g) ?? []).length, 3);
    assert.ok(out.includes('Crash &lt;x&gt; on'));
    // without code links the renderer writes the same document as before
    assert.equal(renderBody(input({ links: [] })).document, renderBody(input()).document);
  });

  it('accepts only an index for a code link click', () => {
    assert.deepEqual(parseViewMessage({ type: 'openCodeLink', index: 3, state: 's' }), { type: 'openCodeLink', index: 3, state: 's' });
    // the index is among the links of the message it was clicked on: without that message, nothing
    assert.equal(parseViewMessage({ type: 'openCodeLink', index: 3 }), undefined);
    assert.equal(parseViewMessage({ type: 'openCodeLink', index: '3', state: 's' }), undefined);
    assert.equal(parseViewMessage({ type: 'openCodeLink', index: -1, state: 's' }), undefined);
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

describe('patch attachments in the message view', () => {
  const diff = 'diff --git a/CONTRIBUTING.md b/CONTRIBUTING.md\nnew file mode 100644\nindex 0000000..a611f62\n--- /dev/null\n+++ b/CONTRIBUTING.md\n@@ -0,0 +1,2 @@\n+# Contributing\n+<script>x()</script>\n';

  it('shows the commit message from the text and the diff from the attachment (git format-patch --attach)', () => {
    const doc = attachedPatchDocument('\nSigned-off-by: Carla <carla@example.test>\n---\n CONTRIBUTING.md | 2 ++\n 1 file changed\n', diff);
    assert.ok(doc);
    assert.match(doc, /class="mx-patch-message">[\s\S]*Signed-off-by: Carla/);
    assert.match(doc, /class="mx-patch-notes">[\s\S]*CONTRIBUTING\.md \| 2 \+\+/);
    assert.match(doc, /class="d2h-file-name"[^>]*>CONTRIBUTING\.md</);
    assert.ok(doc.includes('d2h-ins'));
    assert.ok(!/<script>x/.test(doc), 'the diff is escaped');
  });

  it('takes the message of an attached whole format-patch mail without its headers, and ignores an attachment without a diff', () => {
    const whole = `From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nFrom: Carla <carla@example.test>\nSubject: [PATCH] docs\n\nExplain how to contribute.\n---\n CONTRIBUTING.md | 2 ++\n\n${diff}-- \n2.39.5\n`;
    const doc = attachedPatchDocument('Please have a look.', whole);
    assert.ok(doc);
    assert.match(doc, /class="mx-patch-message">[\s\S]*Explain how to contribute\./);
    assert.ok(!doc.includes('Mon Sep 17'), 'the mbox header block is left out');
    assert.equal(attachedPatchDocument('text', 'just a note, no diff'), undefined);
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
  it('touches the workspace only through vscode.workspace.fs, findFiles and git, and starts processes in one module', () => {
    const dir = join(__dirname, '..', '..', 'src', 'workspace');
    for (const name of readdirSync(dir)) {
      const source = readFileSync(join(dir, name), 'utf8');
      assert.ok(!/from 'node:fs|from 'fs|require\(['"](?:node:)?fs/.test(source), `${name} reads files with node:fs`);
      // the child-process runner, used only for a repository on this extension host's machine
      assert.equal(/from 'node:child_process'/.test(source), name === 'gitProcess.ts', `${name} starts processes itself`);
      // no local path is taken from a URI: paths for git come from the URI's path (gitPathOf)
      assert.equal((source.match(/\.fsPath\b/g) ?? []).length, 0, `${name} uses .fsPath`);
    }
    const git = readFileSync(join(dir, 'git.ts'), 'utf8');
    assert.match(git, /vscode\.workspace\.fs/);
    assert.match(git, /new vscode\.ProcessExecution\(/);
    assert.match(git, /vscode\.tasks\.onDidEndTaskProcess/);
    assert.match(git, /extensionKind === vscode\.ExtensionKind\.Workspace/);
    // the core's git algorithms neither read files nor start processes: everything goes through a runner
    const core = readFileSync(join(__dirname, '..', '..', 'src', 'core', 'workspace', 'gitAm.ts'), 'utf8');
    assert.ok(!/node:child_process|node:fs/.test(core));
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { extensionKind?: string[]; contributes: { taskDefinitions?: Array<{ type: string }> } };
    assert.deepEqual(pkg.extensionKind, ['ui', 'workspace'], 'the mail connection comes from the user\'s machine where there is one');
    assert.deepEqual(pkg.contributes.taskDefinitions?.map((d) => d.type), ['imapExplorerGit']);
  });

  it('runs git as a child process for a file: folder and as a VS Code task from the UI side of a remote window', () => {
    assert.deepEqual(whereGitRuns({ extensionKind: 'ui', remoteName: undefined, scheme: 'file' }), { kind: 'process' });
    assert.deepEqual(whereGitRuns({ extensionKind: 'workspace', remoteName: 'ssh-remote', scheme: 'file' }), { kind: 'process' });
    assert.deepEqual(whereGitRuns({ extensionKind: 'ui', remoteName: 'ssh-remote', scheme: 'vscode-remote' }), { kind: 'task' });
    assert.deepEqual(whereGitRuns({ extensionKind: 'ui', remoteName: 'wsl', scheme: 'vscode-remote' }), { kind: 'task' });
    assert.deepEqual(whereGitRuns({ extensionKind: 'ui', remoteName: undefined, scheme: 'vscode-vfs' }), { kind: 'none', reason: 'virtual' });
    assert.deepEqual(whereGitRuns({ extensionKind: 'workspace', remoteName: 'codespaces', scheme: 'file', forced: 'task' }), { kind: 'task' });
  });

  it('gives a task argv without a shell and refuses an argument VS Code would take for a variable', () => {
    const spec = gitTaskSpec('/home/dana/repo', ['am', '-3', '--patch-format=mbox', '/home/dana/repo/.git/imap-explorer/x/0001-patch-1.eml']);
    assert.equal(spec.command, 'git');
    assert.equal(spec.cwd, '/home/dana/repo');
    assert.deepEqual(spec.args.slice(-4), ['am', '-3', '--patch-format=mbox', '/home/dana/repo/.git/imap-explorer/x/0001-patch-1.eml']);
    assert.ok(spec.args.includes('--no-pager'), 'a task terminal is a tty: no pager');
    assert.equal(spec.env.GIT_TERMINAL_PROMPT, '0');
    assert.throws(() => gitTaskSpec('/repo', ['interpret-trailers', '--trailer', 'Tested-by: ${command:workbench.action.quit}']), /cannot run as a VS Code task/);
    assert.throws(() => gitTaskSpec('/home/${env:USER}/repo', ['status']), /cannot run as a VS Code task/);
    assert.equal(trailerArgument({ name: 'Acked-by', value: 'Max <max@example.test>\r\nInjected: yes' }), 'Acked-by: Max <max@example.test> Injected: yes');
    assert.equal(trailerArgument({ name: 'Acked-by', value: '${input:x}' }), undefined);
  });

  it('finds the git directory of a repository, a worktree and a submodule through files alone', async () => {
    const files = memoryFiles({
      '/w/repo/.git/HEAD': 'ref: refs/heads/main\n',
      '/w/repo/src/x.ts': '',
      '/w/wt/.git': 'gitdir: /w/repo/.git/worktrees/wt\n',
      '/w/repo/.git/worktrees/wt/commondir': '../..\n',
      '/w/repo/lib/sub/.git': 'gitdir: ../../.git/modules/sub\n',
    });
    assert.equal(await findRepositoryRoot(files, '/w/repo/src'), '/w/repo');
    assert.equal(await findRepositoryRoot(files, '/elsewhere'), undefined);
    assert.equal(await gitDirOf({ root: '/w/repo', files }), '/w/repo/.git');
    assert.equal(await gitDirOf({ root: '/w/wt', files }), '/w/repo/.git/worktrees/wt');
    assert.equal(await commonDirOf({ files }, '/w/repo/.git/worktrees/wt'), '/w/repo/.git');
    assert.equal(await gitDirOf({ root: '/w/repo/lib/sub', files }), '/w/repo/.git/modules/sub');
    assert.equal(resolvePath('c:/Users/dana/repo', '../other/.git'), 'c:/Users/dana/other/.git');
    await assert.rejects(gitDirOf({ root: '/elsewhere', files }), /not the top folder of a git repository/);
  });

  it('reads the remotes of a git config file', () => {
    const config = '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:acme/widget.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[remote "up\\"stream"]\n\turl = "https://gitlab.com/acme/widget" ; comment\n[branch "main"]\n\turl = not-a-remote\n';
    assert.deepEqual(parseGitRemotes(config), [{ name: 'origin', url: 'git@github.com:acme/widget.git' }, { name: 'up"stream', url: 'https://gitlab.com/acme/widget' }]);
  });
});

/** RepoFiles over a map of path to content (folders are implied by the paths). */
function memoryFiles(tree: Record<string, string>): RepoFiles {
  const isDir = (path: string) => Object.keys(tree).some((p) => p.startsWith(`${trimChars(path, '/', 'end')}/`));
  return {
    read: async (path) => (path in tree ? new TextEncoder().encode(tree[path]) : undefined),
    write: async (path, data) => {
      tree[path] = new TextDecoder().decode(data);
    },
    remove: async (path) => {
      delete tree[path];
    },
    stat: async (path) => (path in tree ? 'file' : isDir(path) ? 'directory' : undefined),
  };
}
