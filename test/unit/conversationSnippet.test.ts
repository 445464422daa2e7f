// The one-line preview of a collapsed card in the conversation view (core/render/snippet.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conversationSnippet } from '../../src/core/render/snippet';

describe('conversation snippet', () => {
  it('is the first words of the text, without quotes, attribution or signature', () => {
    assert.equal(conversationSnippet({ text: '\n  Thanks,\nfixed in 2.4.\n\nOn Mon, Dana wrote:\n> it crashes\n-- \nSam' }), 'Thanks, fixed in 2.4.');
    assert.equal(conversationSnippet({ text: '> only a quote' }), '');
  });

  it('reads HTML as text: tags, head and entities do not show', () => {
    assert.equal(conversationSnippet({ html: '<html><head><title>T</title></head><body><p>Hi&nbsp;&amp; <b>bye</b></p></body></html>' }), 'Hi & bye');
  });

  it('is plain text of at most 160 characters, whatever the sender wrote', () => {
    const out = conversationSnippet({ text: `${'word '.repeat(500)}\n${'more '.repeat(500)}` });
    assert.ok(out.length <= 160, String(out.length));
    assert.doesNotMatch(conversationSnippet({ text: 'a\u202Eb\u200Bc' }), /[\u202E\u200B]/);
  });
});
