// Stack traces and file:line of each runtime, resolved against a small workspace by the longest
// path suffix; commit candidates; message links; Markdown and new-issue URLs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CodeReference, findCodeReferences, findCommitCandidates, MAX_LINE } from '../../src/core/workspace/codeRefs';
import { bareMessageId, lookupOrder, messageLink, parseMessageLink } from '../../src/core/workspace/messageLink';
import { matchBySuffix, pathSegments } from '../../src/core/workspace/resolve';
import { escapeMarkdown, forgeOf, MAX_ISSUE_URL, messageAsMarkdown, newIssueUrl } from '../../src/core/workspace/share';
import { assertLinear } from '../support/growth';

/** The small workspace the references resolve against (paths relative to its folder). */
const WORKSPACE = [
  'src/server.ts',
  'src/parser.ts',
  'app/handlers.py',
  'src/main/java/com/example/app/Service.java',
  'src/test/java/com/example/other/Service.java',
  'cmd/api/main.go',
  'src/main.rs',
  'Api/Program.cs',
  'lib/parse.c',
  'include/parse.h',
  'docs/guide.md',
  'packages/a/index.ts',
  'packages/b/index.ts',
];

function resolve(ref: CodeReference): string[] {
  return matchBySuffix(ref.path, WORKSPACE.map((path) => ({ path, item: path })), ref.suffixHint).best;
}

function one(text: string): CodeReference {
  const refs = findCodeReferences(text);
  assert.equal(refs.length, 1, `${text}: ${JSON.stringify(refs)}`);
  return refs[0];
}

describe('stack frames of each runtime', () => {
  const cases: Array<{ runtime: string; text: string; file: string; line: number; column?: number; linked: string }> = [
    { runtime: 'node', text: '    at Server.handle (/home/dana/work/app/src/server.ts:42:13)', file: 'src/server.ts', line: 42, column: 13, linked: '/home/dana/work/app/src/server.ts:42:13' },
    { runtime: 'node', text: '    at file:///srv/build/src/parser.ts:7:1', file: 'src/parser.ts', line: 7, column: 1, linked: 'file:///srv/build/src/parser.ts:7:1' },
    { runtime: 'node', text: '    at webpack:///./src/parser.ts:9:2', file: 'src/parser.ts', line: 9, column: 2, linked: 'webpack:///./src/parser.ts:9:2' },
    { runtime: 'python', text: '  File "/usr/lib/deploy/app/handlers.py", line 88, in handle', file: 'app/handlers.py', line: 88, linked: 'File "/usr/lib/deploy/app/handlers.py", line 88' },
    { runtime: 'java', text: '\tat com.example.app.Service.run(Service.java:120)', file: 'src/main/java/com/example/app/Service.java', line: 120, linked: 'Service.java:120' },
    { runtime: 'go', text: '\t/home/ci/go/src/example.com/api/cmd/api/main.go:57 +0x1d', file: 'cmd/api/main.go', line: 57, linked: '/home/ci/go/src/example.com/api/cmd/api/main.go:57' },
    { runtime: 'rust', text: "thread 'main' panicked at src/main.rs:14:9:", file: 'src/main.rs', line: 14, column: 9, linked: 'src/main.rs:14:9' },
    { runtime: 'rust', text: '   3: at ./src/main.rs:5:5', file: 'src/main.rs', line: 5, column: 5, linked: './src/main.rs:5:5' },
    { runtime: 'dotnet', text: '   at Api.Program.Main(String[] args) in C:\\agent\\_work\\1\\s\\Api\\Program.cs:line 31', file: 'Api/Program.cs', line: 31, linked: 'C:\\agent\\_work\\1\\s\\Api\\Program.cs:line 31' },
    { runtime: 'compiler', text: '/build/tree/lib/parse.c:210:17: error: use of undeclared identifier', file: 'lib/parse.c', line: 210, column: 17, linked: '/build/tree/lib/parse.c:210:17' },
    { runtime: 'compiler', text: 'C:\\src\\include\\parse.h(12,3): error C2065: x undeclared', file: 'include/parse.h', line: 12, column: 3, linked: 'C:\\src\\include\\parse.h(12,3)' },
    { runtime: 'plain', text: 'see docs/guide.md:4 for the steps', file: 'docs/guide.md', line: 4, linked: 'docs/guide.md:4' },
  ];
  for (const c of cases) {
    it(`${c.runtime}: ${c.text.trim().slice(0, 60)}`, () => {
      const ref = one(c.text);
      assert.equal(ref.line, c.line);
      assert.equal(ref.column, c.column);
      assert.equal(c.text.slice(ref.start, ref.end), c.linked);
      assert.deepEqual(resolve(ref), [c.file]);
      if (c.runtime !== 'plain') {
        assert.equal(ref.runtime, c.runtime);
      }
    });
  }

  it('finds every frame of a multi-line trace, with offsets into the whole text (CRLF too)', () => {
    const text = 'TypeError: x is undefined\r\n    at a (/x/src/server.ts:1:2)\r\n    at b (/x/src/parser.ts:3:4)\r\n';
    const refs = findCodeReferences(text);
    assert.deepEqual(refs.map((r) => [r.path, r.line, r.column, text.slice(r.start, r.end)]), [
      ['/x/src/server.ts', 1, 2, '/x/src/server.ts:1:2'],
      ['/x/src/parser.ts', 3, 4, '/x/src/parser.ts:3:4'],
    ]);
  });

  it('leaves URLs, times, ports and version numbers alone', () => {
    assert.deepEqual(findCodeReferences('https://example.com:8443/a.js:3 at 12:30:45, v1.2.3:4 http://x/y.ts:5:6'), []);
  });

  it('does not resolve a frame whose file is not in the workspace, and asks when the suffix is ambiguous', () => {
    assert.deepEqual(resolve(one('at x (/opt/other/vendor.js:1:1)')), []);
    assert.deepEqual(resolve(one('at x (/tmp/build/index.ts:3:3)')).sort(), ['packages/a/index.ts', 'packages/b/index.ts']);
    assert.deepEqual(resolve(one('at x (/tmp/build/packages/b/index.ts:3:3)')), ['packages/b/index.ts']);
    // a Java frame without its package's directories in the workspace: both Service.java are candidates
    const bare = one('\tat org.unknown.Service.run(Service.java:1)');
    assert.equal(resolve(bare).length, 2);
  });

  it('normalises paths of any OS', () => {
    assert.deepEqual(pathSegments('C:\\a\\.\\b\\..\\c\\d.cs'), ['c', 'd.cs']);
    assert.deepEqual(pathSegments('./src//x.ts'), ['src', 'x.ts']);
  });

  it('costs linear time on hostile lines and skips over-long ones', async () => {
    const lines = [':1'.repeat(1900), 'a/'.repeat(1900) + 'x.ts:1', '('.repeat(3000) + '1', 'File "'.repeat(600), `${'x'.repeat(5000)}.ts:1`];
    assert.ok(findCodeReferences(lines.join('\n')).length <= 2);
    // each hostile shape costs CPU time linear in the line's length, up to MAX_LINE (1x = a quarter
    // of it): one line of each shape, all as long as n, so any one that grows faster shows
    const shapes = (n: number) => [
      ':1'.repeat(n / 2),
      'a/'.repeat(n / 2 - 3) + 'x.ts:1',
      '('.repeat(n - 1) + '1',
      'File "'.repeat(Math.floor(n / 6)),
      `${'x'.repeat(n - 5)}.ts:1`,
    ].join('\n');
    await assertLinear('hostile line shapes', shapes, (text) => findCodeReferences(text), MAX_LINE / 4);
    // and the whole text costs time linear in its number of lines
    await assertLinear('hostile lines', (n) => Array.from({ length: n }, (_, i) => lines[i % lines.length]).join('\n'), (text) => findCodeReferences(text), 20);
  });
});

describe('commit candidates', () => {
  it('finds 7-40 hex words with a digit and a letter, not inside paths or longer words', () => {
    const text = 'Fixes: 1a2b3c4d ("x"), see deadbeef and 1234567, c0ffee1.\nin /tmp/abc1234/x and abc1234def-1 or 0123456789abcdef0123456789abcdef01234567.';
    assert.deepEqual(findCommitCandidates(text).map((c) => c.hash), ['1a2b3c4d', 'c0ffee1', '0123456789abcdef0123456789abcdef01234567']);
  });
});

describe('message links', () => {
  it('round-trips a Message-ID, escaping what a URI cannot carry', () => {
    const id = '<a+b/c?d=e&f#g%20"h\\i j@example.test>';
    const link = messageLink('vscode', 'imap-explorer.imap-mailbox-explorer', id);
    assert.ok(link.startsWith('vscode://imap-explorer.imap-mailbox-explorer/message/'));
    const encoded = link.slice('vscode://imap-explorer.imap-mailbox-explorer/message/'.length);
    assert.ok(!/[<>"#&?+\\ /]/.test(encoded), link);
    // VS Code hands the handler the path percent-decoded
    const url = new URL(link);
    assert.deepEqual(parseMessageLink(decodeURIComponent(url.pathname)), { messageId: id });
  });

  it('refuses links that are not message links or carry no usable id', () => {
    assert.equal(parseMessageLink('/other/a@b'), undefined);
    assert.equal(parseMessageLink('/message/'), undefined);
    assert.equal(parseMessageLink('/message/a\r\nb'), undefined);
    assert.equal(bareMessageId('<>'), undefined);
    assert.throws(() => messageLink('vscode', 'x.y', ''));
  });

  it('looks in INBOX, then All, then Archive, then the rest', () => {
    const f = (path: string, specialUse?: string, children: unknown[] = [], selectable = true) => ({ path, name: path, delimiter: '/', specialUse, selectable, subscribed: true, children }) as never;
    assert.deepEqual(lookupOrder([f('Drafts', 'drafts'), f('Archive', 'archive'), f('Lists', undefined, [f('Lists/dev')], false), f('INBOX', 'inbox'), f('All Mail', 'all')]), ['INBOX', 'All Mail', 'Archive', 'Drafts', 'Lists/dev']);
  });
});

describe('Copy as Markdown and Open as New Issue', () => {
  it('quotes the body and escapes sender text so it renders as written', () => {
    const md = messageAsMarkdown({ subject: '[PATCH] *bold* <img src=x>', from: [{ name: 'Dana', address: 'dana@reporter.test' }], date: new Date('2026-03-01T10:00:00Z'), text: 'Line with [a link](https://evil.test)\n\n![img](https://evil.test/x.png)\n' });
    assert.match(md, /^\*\*From:\*\* Dana &lt;dana@reporter\\\.test&gt;/);
    assert.match(md, /\*\*Subject:\*\* \\\[PATCH\\\] \\\*bold\\\* &lt;img src\\=x&gt;/);
    assert.match(md, /\n> Line with \\\[a link\\\]\\\(https\\:\/\/evil\\\.test\\\)\n>\n> \\!\\\[img\\\]/);
    assert.equal(escapeMarkdown('a_b'), 'a\\_b');
  });

  it('knows GitHub and GitLab remotes in their URL forms', () => {
    assert.deepEqual(forgeOf('git@github.com:owner/repo.git'), { kind: 'github', origin: 'https://github.com', path: 'owner/repo' });
    assert.deepEqual(forgeOf('https://github.com/owner/repo'), { kind: 'github', origin: 'https://github.com', path: 'owner/repo' });
    assert.deepEqual(forgeOf('ssh://git@gitlab.example.com/group/sub/repo.git'), { kind: 'gitlab', origin: 'https://gitlab.example.com', path: 'group/sub/repo' });
    assert.equal(forgeOf('https://example.com/owner/repo.git'), undefined);
    assert.equal(forgeOf('file:///srv/repo'), undefined);
  });

  it('builds the new-issue page with title and body, cut to a URL browsers accept', () => {
    const gh = newIssueUrl({ kind: 'github', origin: 'https://github.com', path: 'o/r' }, 'Crash & burn', '> body');
    assert.equal(gh, 'https://github.com/o/r/issues/new?title=Crash+%26+burn&body=%3E+body');
    const gl = new URL(newIssueUrl({ kind: 'gitlab', origin: 'https://gitlab.com', path: 'g/r' }, 'T', `${'> long line\n'.repeat(3000)}`));
    assert.equal(gl.pathname, '/g/r/-/issues/new');
    assert.ok(gl.href.length <= MAX_ISSUE_URL);
    assert.match(gl.searchParams.get('issue[description]') ?? '', /cut: the message is longer/);
  });
});
