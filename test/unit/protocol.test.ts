import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFormMessage } from '../../src/accounts/formProtocol';
import { attachedMessageState, isStale, parseViewMessage } from '../../src/messageView/protocol';

describe('webview message validation', () => {
  it('accepts exactly the known message shapes', () => {
    assert.deepEqual(parseViewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseViewMessage({ type: 'openLink', href: 'https://a.test', deceptive: 'yes' }), { type: 'openLink', href: 'https://a.test', deceptive: false });
    assert.deepEqual(parseViewMessage({ type: 'openLink', href: 'https://a.test', deceptive: true, text: 'x'.repeat(5000), hiddenText: 1 }), { type: 'openLink', href: 'https://a.test', deceptive: true, text: 'x'.repeat(2000) });
    assert.deepEqual(parseViewMessage({ type: 'openLink', href: 'https://a.test', deceptive: false, text: 'github.com', hiddenText: true }), { type: 'openLink', href: 'https://a.test', deceptive: false, text: 'github.com', hiddenText: true });
    assert.deepEqual(parseViewMessage({ type: 'blockRemote', scope: 'all' }), { type: 'blockRemote' });
    assert.deepEqual(parseViewMessage({ type: 'loadRemote', scope: 'sender', extra: 1 }), { type: 'loadRemote', scope: 'sender' });
    assert.deepEqual(parseViewMessage({ type: 'saveAttachment', id: '2.1', state: 's' }), { type: 'saveAttachment', id: '2.1', state: 's' });
    assert.deepEqual(parseViewMessage({ type: 'showWhole', state: 's', whole: 'forever' }), { type: 'showWhole', state: 's' });
  });

  // A click on Open, Save or "Show the whole message" acted on whatever message the panel showed
  // when it arrived: after a switch to another message, "Open" on part 2 opened the new message's
  // part 2 (an attached message of another account or folder, too).
  it('ties Open, Save and Show the whole message to the message they were clicked on', () => {
    for (const type of ['openAttachment', 'saveAttachment', 'showWhole']) {
      assert.equal(parseViewMessage({ type, id: '2' }), undefined, `${type} without the state of its message`);
    }
    const open = parseViewMessage({ type: 'openAttachment', id: '2', state: '{"a":"work","p":"INBOX","u":7}' })!;
    assert.equal(isStale(open, '{"a":"work","p":"INBOX","u":7}'), false);
    assert.equal(isStale(open, '{"a":"home","p":"INBOX","u":7}'), true);
    assert.equal(isStale(open, undefined), true);
    assert.equal(isStale(parseViewMessage({ type: 'action', action: 'archive' })!, undefined), false);
  });

  // Attached messages were keyed by file name ("attached:Invoice.eml"): consent to remote content
  // for one carried over to every other attached message of that name, from any sender.
  it('keys an attached message by its parent message and part, never by its file name', () => {
    const a = attachedMessageState('{"a":"work","p":"INBOX","u":7}', '2');
    assert.equal(a, attachedMessageState('{"a":"work","p":"INBOX","u":7}', '2'));
    assert.notEqual(a, attachedMessageState('{"a":"work","p":"INBOX","u":8}', '2'));
    assert.notEqual(a, attachedMessageState('{"a":"work","p":"INBOX","u":7}', '3'));
    assert.notEqual(attachedMessageState(a, '1'), attachedMessageState(attachedMessageState('file:///x.eml', '2'), '1'));
    assert.ok(!a.includes('work') && a.length < 60, a);
  });

  it('rejects anything else', () => {
    for (const bad of [null, 'ready', [], { type: 'runCommand', command: 'workbench.action.terminal.new' }, { type: 'openLink' }, { type: 'openLink', href: 'x'.repeat(9000) }, { type: 'loadRemote', scope: 'everything' }, { type: 'openAttachment', id: 7 }, { type: 'pwned' }]) {
      assert.equal(parseViewMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 60));
    }
  });

  it('accepts the conversation view messages with a card index and the state they were clicked in', () => {
    assert.deepEqual(parseViewMessage({ type: 'conversationAction', action: 'markAllRead', state: 'c1', extra: 1 }), { type: 'conversationAction', action: 'markAllRead', state: 'c1' });
    assert.deepEqual(parseViewMessage({ type: 'cardAction', index: 2, action: 'openInTab', state: 'c1' }), { type: 'cardAction', index: 2, action: 'openInTab', state: 'c1' });
    assert.deepEqual(parseViewMessage({ type: 'cardAction', index: 0, action: 'reply', state: 'c1' }), { type: 'cardAction', index: 0, action: 'reply', state: 'c1' });
    assert.deepEqual(parseViewMessage({ type: 'cardRemote', index: 1, load: false, state: 'c1' }), { type: 'cardRemote', index: 1, load: false, state: 'c1' });
    const click = parseViewMessage({ type: 'cardAction', index: 1, action: 'delete', state: 'c1' })!;
    assert.equal(isStale(click, 'c1'), false);
    assert.equal(isStale(click, 'c2'), true, 'a click on a card of an earlier rendering is stale');
  });

  it('refuses bad conversation view messages', () => {
    for (const bad of [
      { type: 'conversationAction', action: 'markAllRead' },
      { type: 'conversationAction', action: 'runCommand', state: 'c1' },
      { type: 'conversationAction', action: 'deleteAll', state: '' },
      { type: 'cardAction', index: -1, action: 'reply', state: 'c1' },
      { type: 'cardAction', index: 1.5, action: 'reply', state: 'c1' },
      { type: 'cardAction', index: '1', action: 'reply', state: 'c1' },
      { type: 'cardAction', index: 100, action: 'reply', state: 'c1' },
      { type: 'cardAction', index: 1, action: 'workbench.action.terminal.new', state: 'c1' },
      { type: 'cardAction', index: 1, action: 'reply' },
      { type: 'cardAction', index: 1, action: 'reply', state: 'x'.repeat(9000) },
      { type: 'cardRemote', index: 1, load: 'yes', state: 'c1' },
      { type: 'cardRemote', index: 1, state: 'c1' },
    ]) {
      assert.equal(parseViewMessage(bad), undefined, JSON.stringify(bad).slice(0, 80));
    }
  });

  it('validates account form messages', () => {
    const values = { email: 'a@b.test', displayName: '', host: 'h', port: '993', security: 'tls', user: 'a', password: 'p', smtpHost: '', smtpPort: '587', smtpSecurity: 'starttls', smtpSameLogin: 'yes', smtpUser: '', smtpPassword: '', serverSavesSent: 'no',
      signIn: 'password', oauthProvider: 'generic', oauthIssuer: '', oauthClientId: '', oauthTenant: '', oauthScopes: '', oauthFlow: 'browser', oauthClientSecret: '', command: '', commandOutput: 'password' };
    assert.deepEqual(parseFormMessage({ type: 'submit', action: 'save', values }), { type: 'submit', action: 'save', values });
    assert.equal(parseFormMessage({ type: 'submit', action: 'delete', values }), undefined);
    assert.equal(parseFormMessage({ type: 'submit', action: 'save', values: { ...values, security: 'ssl' } }), undefined);
    assert.equal(parseFormMessage({ type: 'trust', values }), undefined);
    assert.equal(parseFormMessage({ type: 'submit', action: 'save', values: { ...values, signIn: 'kerberos' } }), undefined, 'an unknown sign-in method is refused');
    assert.equal(parseFormMessage({ type: 'submit', action: 'save', values: { ...values, oauthFlow: 'implicit' } }), undefined);
    assert.deepEqual(parseFormMessage({ type: 'signIn', values }), { type: 'signIn', values });
    assert.deepEqual(parseFormMessage({ type: 'copyDeviceCode', text: 'rm -rf /' }), { type: 'copyDeviceCode' }, 'the webview cannot choose what is copied');
  });
});
