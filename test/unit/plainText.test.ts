import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkify, renderPlainText } from '../../src/core/render/plainText';

describe('plain text mail', () => {
  it('escapes markup and keeps it as text', () => {
    assert.equal(renderPlainText('<script>alert(1)</script> & co'), '<div class="mx-text">&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</div>');
  });

  it('links only http(s), www and mailto, trimming trailing punctuation', () => {
    assert.equal(linkify('see https://a.test/x).'), 'see <a data-href="https://a.test/x" title="https://a.test/x" tabindex="0" role="link">https://a.test/x</a>).');
    assert.match(linkify('(https://en.wikipedia.org/wiki/A_(b))'), /data-href="https:\/\/en\.wikipedia\.org\/wiki\/A_\(b\)"/);
    assert.match(linkify('www.example.com'), /data-href="https:\/\/www\.example\.com\/"/);
    assert.match(linkify('mail mailto:a@b.test now'), /data-href="mailto:a@b\.test"/);
    assert.equal(linkify('javascript:alert(1) file:///etc'), 'javascript:alert(1) file:///etc');
  });

  it('nests quotes by depth and dims the signature', () => {
    const out = renderPlainText('hi\n> one\n>> two\n> one again\nback\n-- \nsig');
    assert.equal(out, '<div class="mx-text">hi</div><blockquote class="mx-quote"><div class="mx-text">one</div><blockquote class="mx-quote"><div class="mx-text">two</div></blockquote><div class="mx-text">one again</div></blockquote><div class="mx-text">back</div><div class="mx-text mx-signature">-- \nsig</div>');
  });
});
