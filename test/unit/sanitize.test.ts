import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LoadedResource } from '../../src/core/render/css';
import { isDeceptiveLink } from '../../src/core/render/links';
import { safeLinkTarget, sanitizeHtml } from '../../src/core/render/sanitize';

const PIXEL = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
const blocked = (html: string) => sanitizeHtml(html, {});
/** As after "Load for this message": the host fetched these and hands them in as data. */
const allowed = (html: string, remote: Array<[string, LoadedResource]>) => sanitizeHtml(html, { remote: new Map(remote) });

describe('HTML sanitizer', () => {
  it('drops scripts, event handlers and their content', () => {
    const out = blocked('<p onclick="x()">hi</p><script>alert(1)</script><SCRIPT src=//evil.test/a.js></SCRIPT><img src=x onerror=alert(1)>');
    assert.equal(out.body, '<p>hi</p><img data-mx-blocked="">');
  });

  it('never lets a raw-text or foreign element through', () => {
    for (const tag of ['svg', 'math', 'iframe', 'object', 'embed', 'noscript', 'template', 'textarea', 'title', 'xmp', 'noembed', 'noframes', 'form', 'input', 'button', 'base', 'meta', 'link']) {
      const out = blocked(`<${tag}>inner<img src=x onerror=alert(1)></${tag}>after`);
      assert.doesNotMatch(out.body, new RegExp(`<${tag}[\\s>]`, 'i'), tag);
      assert.doesNotMatch(out.body, /onerror/i, tag);
    }
  });

  it('escapes text so that a re-parse cannot create elements (mutation XSS)', () => {
    const out = blocked('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><svg></p><style><a id="</style><img src=1 onerror=alert(1)>">');
    assert.doesNotMatch(out.body, /<img[^>]*onerror/i);
    assert.doesNotMatch(out.styles, /<\/style/i);
  });

  it('keeps only http, https and mailto links, as data-href', () => {
    const out = blocked('<a href="https://x.test/a?b=1&amp;c=2">ok</a><a href="java&#x09;script:alert(1)">js</a><a href="  JAVASCRIPT:alert(1)">js2</a><a href="data:text/html,<script>">d</a><a href="mailto:a@b.test">m</a><a href="vbscript:x">v</a><a href="/relative">r</a>');
    assert.match(out.body, /<a data-href="https:\/\/x\.test\/a\?b=1&amp;c=2" title="https:\/\/x\.test\/a\?b=1&amp;c=2" tabindex="0" role="link">ok<\/a>/);
    assert.match(out.body, /data-href="mailto:a@b\.test"/);
    assert.equal((out.body.match(/data-href/g) ?? []).length, 2);
    assert.match(out.body, /<span>js<\/span><span>js2<\/span><span>d<\/span>/);
    assert.doesNotMatch(out.body, /\shref=/);
  });

  it('blocks remote images and counts them, keeps cid and data images', () => {
    const cid = new Map([['logo@x', 'data:image/png;base64,AAAA']]);
    const out = sanitizeHtml('<img src="http://t.test/p.gif"><img src="//t.test/q.gif"><img src="cid:logo@x"><img src="data:image/gif;base64,R0lG"><img src="data:image/svg+xml;base64,PHN2Zz4=">', { inlineImages: cid });
    assert.equal(out.remoteBlocked, 2);
    assert.match(out.body, /src="data:image\/png;base64,AAAA"/);
    assert.match(out.body, /src="data:image\/gif;base64,R0lG"/);
    assert.doesNotMatch(out.body, /t\.test|svg\+xml/);
    assert.ok(out.usedCids.has('logo@x'));
  });

  it('shows remote images once the host fetched them, by their data, never by URL', () => {
    const out = allowed('<img src="http://t.test/p.gif"><table background="https://t.test/bg.png"><tr><td>x</td></tr></table><img src="http://t.test/missing.gif">', [
      ['http://t.test/p.gif', { kind: 'image', dataUri: PIXEL }],
      ['https://t.test/bg.png', { kind: 'image', dataUri: PIXEL }],
    ]);
    assert.equal(out.remoteBlocked, 1);
    assert.deepEqual(out.remote.map((r) => [r.url, r.loaded]), [['http://t.test/p.gif', true], ['https://t.test/bg.png', true], ['http://t.test/missing.gif', false]]);
    assert.match(out.body, new RegExp(`<img src="${PIXEL.replace(/[+/]/g, '\\$&')}">`));
    assert.match(out.body, /background-image: url\(&quot;data:image\/gif/);
    assert.doesNotMatch(out.body, /t\.test/);
  });

  it('drops remote CSS, imports, fonts and escaped url() tricks', () => {
    const out = blocked('<style>@import url(http://t.test/a.css); @font-face{font-family:x;src:url(http://t.test/f.woff)} .a{background:url(http://t.test/b.png);color:red} .b{background:u\\rl(http://t.test/c.png)} .c{width:expression(alert(1))}</style><p style="background-image:url(\'http://t.test/d.png\');color:blue;behavior:url(x.htc)">p</p>');
    assert.doesNotMatch(out.styles + out.body, /t\.test|expression|behavior|@import|@font-face/);
    assert.match(out.styles, /\.a\s*\{\s*color:\s*red\s*\}/);
    assert.match(out.body, /<p style="color:blue">p<\/p>/);
    assert.equal(out.remoteBlocked, 4);
  });

  it('keeps harmless layout and notes when the mail paints its own colors', () => {
    const out = blocked('<body bgcolor="#ffeeee"><table width="100%" cellpadding="4"><tr><td align="center" style="padding:4px;font-weight:bold">cell</td></tr></table></body>');
    assert.equal(out.styled, true);
    assert.equal(out.bodyStyle, 'background-color: #ffeeee');
    assert.match(out.body, /<table width="100%" cellpadding="4"><tr><td align="center" style="padding:4px;font-weight:bold">cell<\/td><\/tr><\/table>/);
    assert.equal(blocked('<p>plain</p>').styled, false);
  });

  it('unwraps unknown and custom elements but keeps their text', () => {
    assert.equal(blocked('<x-widget is="evil"><marquee onstart=alert(1)>moving</marquee></x-widget>').body, 'moving');
  });

  it('survives pathological nesting', () => {
    const deep = '<div>'.repeat(5000) + 'deep' + '</div>'.repeat(5000);
    const out = blocked(deep);
    assert.match(out.body, /deep/);
  });

  it('marks links whose text names another host', () => {
    assert.equal(isDeceptiveLink('https://github.com/login', 'http://evil.test/phish'), true);
    assert.equal(isDeceptiveLink('github.com', 'https://github.com/x'), false);
    assert.equal(isDeceptiveLink('www.example.com', 'https://example.com/'), false);
    assert.equal(isDeceptiveLink('docs', 'https://example.com/'), false);
    assert.equal(isDeceptiveLink('Click here', 'https://evil.test/'), false);
    const out = blocked('<a href="http://evil.test/phish">https://github.com/login</a>');
    assert.match(out.body, /data-mx-deceptive=""/);
  });

  it('accepts link targets exactly as the browser would read them', () => {
    assert.equal(safeLinkTarget('https://a.test/x'), 'https://a.test/x');
    assert.equal(safeLinkTarget('\u0001https://a.test'), 'https://a.test/');
    assert.equal(safeLinkTarget('ja\nvascript:alert(1)'), undefined);
    assert.equal(safeLinkTarget('file:///etc/passwd'), undefined);
    assert.equal(safeLinkTarget('command:workbench.action.terminal.new'), undefined);
    assert.equal(safeLinkTarget('vscode://file/etc/passwd'), undefined);
  });
});
