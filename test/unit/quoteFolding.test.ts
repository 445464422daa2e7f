// Quote folding for the conversation view (SanitizeOptions.foldQuotes, renderPlainText's
// foldQuotes): quoted text goes behind a native <details> "Show quoted text", outermost quote only.
// The cost is covered by renderComplexity.test.ts (a 1 MB quote, nested quotes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderBody } from '../../src/core/render/body';
import { renderPlainText } from '../../src/core/render/plainText';
import { FOLD_OPEN, sanitizeHtml } from '../../src/core/render/sanitize';

const count = (s: string, part: string) => s.split(part).length - 1;
const fold = (html: string) => sanitizeHtml(html, { foldQuotes: true }).body;

describe('quote folding in plain text', () => {
  it('folds a run of quoted lines with the attribution above it', () => {
    const out = renderPlainText('Thanks, fixed.\n\nOn Mon, 1 Jan 2024, Dana wrote:\n> it crashes\n> on login\n\n-- \nSam', { foldQuotes: true });
    assert.equal(count(out, FOLD_OPEN), 1);
    const [before, inside] = out.split(FOLD_OPEN);
    assert.match(before, /Thanks, fixed\./);
    assert.doesNotMatch(before, /wrote:/);
    assert.match(inside, /^<div class="mx-text mx-attribution">On Mon, 1 Jan 2024, Dana wrote:<\/div><blockquote class="mx-quote">/);
    assert.match(inside, /it crashes\non login<\/div><\/blockquote><\/details>/);
    assert.match(inside.split('</details>')[1], /mx-signature/);
  });

  it('keeps nested quotes inside one fold, and folds each separate run', () => {
    const out = renderPlainText('a\n> one\n> > two\n> one again\nb\n> three', { foldQuotes: true });
    assert.equal(count(out, FOLD_OPEN), 2);
    assert.equal(count(out, '</details>'), 2);
    assert.equal(count(out, '<blockquote'), 3);
    assert.equal(count(out, '</blockquote>'), 3);
    // the first fold holds the nested quote and closes before "b"
    assert.match(out, /^<div class="mx-text">a<\/div><details[^>]*><summary[^>]*>Show quoted text<\/summary><blockquote class="mx-quote"><div class="mx-text">one<\/div><blockquote class="mx-quote"><div class="mx-text">two<\/div><\/blockquote><div class="mx-text">one again<\/div><\/blockquote><\/details><div class="mx-text">b<\/div>/);
  });

  it('folds nothing without the option, and nothing in a mail without quotes', () => {
    assert.equal(count(renderPlainText('a\n> b'), '<details'), 0);
    assert.equal(count(renderPlainText('a wrote:\nb', { foldQuotes: true }), '<details'), 0);
  });

  it('reaches the body document through renderBody', () => {
    const rendering = renderBody({ text: 'x\n> y', inline: new Map(), remote: new Map(), foldQuotes: true });
    assert.match(rendering.document, /<details class="mx-fold"><summary class="mx-fold-summary">Show quoted text<\/summary>/);
    assert.equal(count(renderBody({ text: 'x\n> y', inline: new Map(), remote: new Map() }).document, '<details class="mx-fold">'), 0);
  });
});

describe('quote folding in HTML', () => {
  it('folds the outermost blockquote only', () => {
    const out = fold('<p>reply</p><blockquote type="cite"><p>q1</p><blockquote><p>q2</p></blockquote></blockquote><p>after</p>');
    assert.equal(count(out, FOLD_OPEN), 1);
    assert.equal(out, `<p>reply</p>${FOLD_OPEN}<blockquote><p>q1</p><blockquote><p>q2</p></blockquote></blockquote></details><p>after</p>`);
  });

  it('folds a Gmail quote container with its attribution', () => {
    const out = fold('<div dir="ltr">Yes</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Dana wrote:<br></div><blockquote class="gmail_quote">old</blockquote></div>');
    assert.equal(count(out, FOLD_OPEN), 1);
    assert.match(out, /^<div dir="ltr">Yes<\/div><br><details/);
    assert.match(out.split(FOLD_OPEN)[1], /^<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Dana wrote:<br><\/div><blockquote class="gmail_quote">old<\/blockquote><\/div><\/details>$/);
  });

  it('folds a Thunderbird attribution together with the quote after it, and leaves the reply below it', () => {
    const out = fold('<div class="moz-cite-prefix">On 1/1, Dana wrote:<br></div>\n<blockquote type="cite">old</blockquote>\n<p>my answer</p>');
    assert.equal(count(out, FOLD_OPEN), 1);
    assert.match(out, /^<details[^>]*><summary[^>]*>Show quoted text<\/summary><div class="moz-cite-prefix">On 1\/1, Dana wrote:<br><\/div>\n<blockquote>old<\/blockquote><\/details>\n<p>my answer<\/p>$/);
  });

  it('leaves an attribution-like div alone when no quote follows', () => {
    assert.equal(fold('<div class="moz-cite-prefix">x</div><p>y</p>'), '<div class="moz-cite-prefix">x</div><p>y</p>');
  });

  it("folds Outlook's reply header and everything after it", () => {
    const out = fold('<div><p>Top reply</p><hr><div id="divRplyFwdMsg"><b>From:</b> Dana</div><div>old text</div><p>older</p></div>');
    assert.equal(count(out, FOLD_OPEN), 1);
    assert.match(out, /^<div><p>Top reply<\/p><hr><details[^>]*><summary[^>]*>Show quoted text<\/summary><div><b>From:<\/b> Dana<\/div><div>old text<\/div><p>older<\/p><\/details><\/div>$/);
  });

  it('does not fold without the option, and the summary is ours: a mail cannot forge an open fold class', () => {
    assert.equal(count(sanitizeHtml('<blockquote>q</blockquote>').body, '<details'), 0);
    const forged = fold('<details class="mx-fold" open><summary class="mx-fold-summary">x</summary></details>');
    assert.doesNotMatch(forged, /mx-fold/);
  });
});
