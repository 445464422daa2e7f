// The CSS sanitizer reads CSS as the browser does (CSS Syntax Level 3) and writes only what it
// checked. Each case is what postcss-style parsing got wrong: the output must hold no remote
// reference, and each reference must be counted for the "Remote content blocked" bar.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CssContext, type LoadedResource, MAX_CSS_PER_DOCUMENT, sanitizeStyleAttribute, sanitizeStyleSheet } from '../../src/core/render/css';

function context(remote: Array<[string, LoadedResource]> = []) {
  const seen: Array<[string, string, boolean]> = [];
  const ctx: CssContext = {
    inline: new Map([['logo@x', 'data:image/png;base64,AAAA']]),
    remote: new Map(remote),
    onRemote: (url, kind, loaded) => void seen.push([url, kind, loaded]),
    onCid: () => undefined,
    onPaint: () => undefined,
    budget: { chars: MAX_CSS_PER_DOCUMENT },
  };
  return { ctx, seen };
}

describe('CSS sanitizer', () => {
  it('ends a string at a newline as the browser does, so the declaration hidden after it is seen and blocked', () => {
    const { ctx, seen } = context();
    const out = sanitizeStyleSheet('div{color:"a\n" /*\n;background-image:url(http://r.test/pixel.png);\n*/ red}', ctx);
    assert.doesNotMatch(out, /r\.test|url\(/);
    assert.deepEqual(seen, [['http://r.test/pixel.png', 'image', false]]);
  });

  it('finds @import and @font-face in every spelling and position, and keeps none of them', () => {
    const { ctx, seen } = context();
    const out = sanitizeStyleSheet(`<!-- @import url(http://r.test/a.css); -->
@\\69mport url(http://r.test/b.css);
@import"http://r.test/c.css";
@font-fac\\65{font-family:x;src:url(http://r.test/d.woff)}
a{}@import url(http://r.test/e.css);
p{color:red;@import url(http://r.test/f.css);}
@media screen{@font-face{font-family:y;src:url(//r.test/g.woff2)} p{font-family:y}}
div{background:u\\72 l(http://r.test/h.png)}
div{background:\\75\\72\\6c(http://r.test/i.png)}`, ctx);
    assert.doesNotMatch(out, /r\.test|@import|@font-face|url\(/i);
    assert.match(out, /p\{color:red\}/);
    const urls = seen.map(([u]) => u);
    for (const name of ['a.css', 'b.css', 'c.css', 'd.woff', 'g.woff2']) {
      assert.ok(urls.includes(`${name.endsWith('woff2') ? 'https' : 'http'}://r.test/${name}`), `${name} counted: ${urls.join(' ')}`);
    }
  });

  it('writes its output from the checked tree, never from the input text', () => {
    const { ctx } = context();
    // comments, odd spacing and escapes do not survive; identifiers come out as parsed
    const out = sanitizeStyleSheet('/* x */ P  >  .A , B{ COLOR : Red !IMPORTANT ; -moz-binding:url(x.xml#b); behavior : url(a.htc) ; width:expr\\65ssion(alert(1)) }', ctx);
    assert.equal(out, 'P>.A,B{color:Red!important}');
    assert.equal(sanitizeStyleSheet('a{b:c}</style><script>x</script>', ctx).includes('</style'), false);
    assert.equal(sanitizeStyleAttribute('color: red; --x: url(http://r.test/x.png); background: var(--x)', ctx), 'color:red');
  });

  it('draws the mail page on its paper: html, body and :root name the mail wrappers', () => {
    const { ctx } = context();
    assert.equal(sanitizeStyleSheet('body{background:#eef1f5;margin:0} html body .card{background:#fff} :root{color:#333} .mx-content{display:none} mx-body{display:none}', ctx),
      'mx-body{background:#eef1f5;margin:0}mx-mail mx-body .card{background:#fff}mx-mail{color:#333}');
  });

  it('uses remote content only from what the host fetched after consent, inlining imported sheets first', () => {
    const { ctx, seen } = context([
      ['http://r.test/a.css', { kind: 'style', css: '@import url(http://r.test/deeper.css); .x{background:url(http://r.test/bg.png)} .y{background:url(http://r.test/missing.png)}' }],
      ['http://r.test/bg.png', { kind: 'image', dataUri: 'data:image/gif;base64,R0lG' }],
    ]);
    const out = sanitizeStyleSheet('@import url(http://r.test/a.css); p{color:red}', ctx);
    assert.equal(out, '.x{background:url(data:image/gif;base64,R0lG)}p{color:red}');
    assert.deepEqual(seen, [
      ['http://r.test/a.css', 'style', true],
      ['http://r.test/deeper.css', 'style', false],
      ['http://r.test/bg.png', 'image', true],
      ['http://r.test/missing.png', 'image', false],
    ]);
  });

  it('keeps fonts only as data and cid images in url()', () => {
    const { ctx } = context([['https://r.test/f.woff2', { kind: 'font', dataUri: 'data:font/woff2;base64,d09GMg==' }]]);
    const out = sanitizeStyleSheet('@font-face{font-family:f;src:url(https://r.test/f.woff2) format("woff2")} p{background:url(cid:LOGO@x)} q{background:url(data:image/svg+xml;base64,PHN2Zz4=)}', ctx);
    assert.equal(out, '@font-face{font-family:f;src:url(data:font/woff2;base64,d09GMg==)format("woff2")}p{background:url(data:image/png;base64,AAAA)}');
  });
});
