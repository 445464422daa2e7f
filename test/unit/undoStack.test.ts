import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type UndoEntry, UndoStack } from '../../src/triage/undo';
import { type UiText } from '../../src/core/uiText';

const entry = (name: string): UndoEntry => ({ label: name as UiText, undo: async () => undefined });

describe('undo stack', () => {
  it('tells a notification whose entry Undo already used from one that newer changes pushed out', () => {
    const stack = new UndoStack(2);
    const [a, b, c] = [entry('a'), entry('b'), entry('c')];
    stack.push(a);
    stack.push(b);
    assert.equal(stack.whyGone(b), undefined);
    assert.equal(stack.pop(), b, 'Z takes back the newest change');
    assert.equal(stack.whyGone(b), 'undone');
    assert.equal(stack.remove(b), false, "the toast's Undo cannot run it a second time");
    stack.push(c);
    stack.push(entry('d'));
    assert.equal(stack.whyGone(a), 'expired');
    assert.equal(stack.remove(a), false);
    assert.equal(stack.remove(c), true);
    assert.equal(stack.whyGone(c), 'undone');
  });
});
