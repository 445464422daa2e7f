// The mail store (core/mail/store.ts): every change through apply(), events that name what
// changed by id, late answers that never undo a newer state, one unread number, errors in one place.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MailError } from '../../src/core/errors';
import { type FolderInfo } from '../../src/core/mail/folders';
import { type HeaderPage, type MessageSummary } from '../../src/core/mail/headers';
import { MailStore, type StoreEvent } from '../../src/core/mail/store';
import { FolderWindow } from '../../src/core/mail/window';

const HOUR = 60 * 60_000;
const BASE = Date.UTC(2026, 10, 30, 0, 0);

function message(uid: number, hoursAfterBase: number, flags: string[] = []): MessageSummary {
  return { uid, seq: uid, flags, subject: `m${uid}`, from: [], to: [], cc: [], replyTo: [], date: new Date(BASE + hoursAfterBase * HOUR), internalDate: new Date(BASE + hoursAfterBase * HOUR), size: 1, hasAttachment: false };
}

function page(messages: MessageSummary[], extra: Partial<HeaderPage> = {}): HeaderPage {
  return { messages, uidValidity: '7', total: messages.length, ...extra };
}

function folder(path: string, extra: Partial<FolderInfo> = {}): FolderInfo {
  return { path, name: path, delimiter: '/', selectable: true, subscribed: true, children: [], ...extra };
}

/** A store with a recorder of its events. */
function recorded(): { store: MailStore; events: StoreEvent[] } {
  const store = new MailStore('acct');
  const events: StoreEvent[] = [];
  store.onDidChange((e) => events.push(e));
  return { store, events };
}

function load(store: MailStore, path: string, messages: MessageSummary[], extra: Partial<HeaderPage> = {}): void {
  store.apply({ type: 'window', path, window: FolderWindow.fromPage(path, page(messages, extra)), generation: store.generation(path), source: 'server' });
}

const uids = (store: MailStore, path: string) => store.window(path)?.messages.map((m) => m.uid);

describe('mail store', () => {
  it('orders a window newest by arrival, and a message put back by Undo returns to its place', () => {
    const { store } = recorded();
    // UID order is not arrival order: UID 12 is a digest from yesterday 22:36, UID 11 came at 04:36
    load(store, 'INBOX', [message(10, 1), message(11, 28.6), message(12, 22.6)]);
    assert.deepEqual(uids(store, 'INBOX'), [11, 12, 10]);
    // moved away, then moved back by Undo: a new UID, the same INTERNALDATE (RFC 6851 keeps it)
    store.apply({ type: 'removed', path: 'INBOX', uids: [12] });
    store.apply({ type: 'delta', path: 'INBOX', delta: { uidValidity: '7', newer: [{ ...message(13, 22.6), subject: 'm12 again' }] } });
    assert.deepEqual(uids(store, 'INBOX'), [11, 13, 10], 'back between the two it arrived between');
  });

  it('names what changed: a flag from the server redraws one row, new mail or our own read redraws the folder', () => {
    const { store, events } = recorded();
    store.apply({ type: 'folders', folders: [folder('INBOX', { unseen: 2, total: 3 })], source: 'server', asked: store.ticket() });
    load(store, 'INBOX', [message(1, 1), message(2, 2), message(3, 3, ['\\Seen'])]);
    events.length = 0;

    store.apply({ type: 'delta', path: 'INBOX', delta: { uidValidity: '7', flags: [{ uid: 2, flags: ['\\Flagged'] }] } });
    assert.deepEqual([...events[0].folders], []);
    assert.deepEqual([...events[0].messages], [['INBOX', [2]]]);
    assert.equal(events[0].account, false);

    store.apply({ type: 'delta', path: 'INBOX', delta: { uidValidity: '7', newer: [message(4, 4)] } });
    assert.deepEqual([...events[1].folders], ['INBOX'], 'a row more: the folder redraws its rows');

    store.apply({ type: 'flags', path: 'INBOX', uids: [1], flags: ['\\Seen'], on: true });
    assert.deepEqual([...events[2].folders], ['INBOX'], 'the unread count on the folder row moved');
    assert.deepEqual([...events[2].counts], ['INBOX']);
    assert.equal(events[2].messages.size, 0, 'the folder redraw covers the row');
    assert.equal(store.unseen('INBOX'), 1);

    const before = events.length;
    store.apply({ type: 'delta', path: 'INBOX', delta: { uidValidity: '7', flags: [{ uid: 2, flags: ['\\Flagged'] }] } });
    assert.equal(events.length, before, 'nothing changed: no event');
  });

  it('keeps one unread number: a count asked before our own action never undoes it', () => {
    const { store } = recorded();
    store.apply({ type: 'folders', folders: [folder('INBOX', { unseen: 5, total: 9 })], source: 'server', asked: store.ticket() });
    load(store, 'INBOX', [message(1, 1), message(2, 2)]);
    const askedBefore = store.ticket();
    store.apply({ type: 'flags', path: 'INBOX', uids: [1], flags: ['\\Seen'], on: true });
    assert.equal(store.unseen('INBOX'), 4);
    // the watcher's count was asked before the STORE and answers after it
    store.apply({ type: 'counts', counts: [{ path: 'INBOX', unseen: 5 }], asked: askedBefore });
    assert.equal(store.unseen('INBOX'), 4, 'the older answer is ignored');
    store.apply({ type: 'counts', counts: [{ path: 'INBOX', unseen: 4 }], asked: store.ticket() });
    assert.equal(store.unseen('INBOX'), 4);
    // an older LIST answer arriving late does not bring back an old count either
    store.apply({ type: 'folders', folders: [folder('INBOX', { unseen: 5, total: 9 })], source: 'server', asked: askedBefore });
    assert.equal(store.unseen('INBOX'), 4);
    assert.equal(store.total('INBOX'), 9);
  });

  it('ignores a late answer for a window that was dropped or replaced meanwhile', () => {
    const { store } = recorded();
    const generation = store.generation('F');
    load(store, 'F', [message(5, 5)]);
    // a first page asked before, answering after the window was loaded
    store.apply({ type: 'window', path: 'F', window: FolderWindow.fromPage('F', page([message(1, 1)])), generation, source: 'server' });
    assert.deepEqual(uids(store, 'F'), [5]);
    const resyncGeneration = store.generation('F');
    store.apply({ type: 'drop', path: 'F' });
    store.apply({ type: 'delta', path: 'F', delta: { uidValidity: '7', newer: [message(6, 6)] }, generation: resyncGeneration });
    assert.equal(store.window('F'), undefined, 'a resync of the dropped window does not bring it back');
    load(store, 'F', [message(5, 5)], { next: { beforeUid: 5, seqHint: 5 } });
    store.apply({ type: 'page', path: 'F', page: page([message(4, 4)]), generation: resyncGeneration });
    assert.deepEqual(uids(store, 'F'), [5], 'a Load more of the old window is ignored');
  });

  it('drops a window the server reports under another UIDVALIDITY, and never leaves a hole', () => {
    const { store, events } = recorded();
    load(store, 'F', [message(20, 20), message(21, 21)]);
    store.apply({ type: 'delta', path: 'F', delta: { uidValidity: '7', newer: [message(3, 30)] } });
    assert.deepEqual(uids(store, 'F'), [21, 20], 'a UID below the cursor is not shown: it would leave the UIDs between unshown');
    store.apply({ type: 'delta', path: 'F', delta: { uidValidity: '8', flags: [{ uid: 20, flags: [] }] } });
    assert.equal(store.window('F'), undefined);
    assert.equal(events.at(-1)?.changes[0].change.reset, true);
  });

  it('never lets an older flag report undo a newer one (CONDSTORE MODSEQ)', () => {
    const { store } = recorded();
    load(store, 'F', [message(1, 1)]);
    store.apply({ type: 'delta', path: 'F', delta: { uidValidity: '7', flags: [{ uid: 1, flags: ['\\Seen', '\\Flagged'], modseq: 20n }] } });
    // the resync's answer was on its way before the IDLE report of MODSEQ 20
    store.apply({ type: 'delta', path: 'F', delta: { uidValidity: '7', flags: [{ uid: 1, flags: ['\\Seen'], modseq: 15n }] } });
    assert.deepEqual(store.window('F')?.find(1)?.flags, ['\\Seen', '\\Flagged']);
    store.apply({ type: 'delta', path: 'F', delta: { uidValidity: '7', flags: [{ uid: 1, flags: [], modseq: 21n }] } });
    assert.deepEqual(store.window('F')?.find(1)?.flags, []);
  });

  it('shows the cached folder list until the server answers, and a late cache read never replaces it', () => {
    const { store, events } = recorded();
    store.apply({ type: 'folders', folders: [folder('INBOX'), folder('Old')], source: 'cache', asked: 0 });
    assert.equal(store.foldersListed, false);
    load(store, 'Old', [message(1, 1)]);
    store.apply({ type: 'folders', folders: [folder('INBOX', { unseen: 1 }), folder('New')], source: 'server', asked: store.ticket() });
    assert.equal(events.at(-1)?.account, true);
    assert.equal(store.window('Old'), undefined, 'a folder the server no longer lists takes its window along');
    store.apply({ type: 'folders', folders: [folder('INBOX'), folder('Old')], source: 'cache', asked: 0 });
    assert.deepEqual(store.folders?.map((f) => f.path), ['INBOX', 'New']);
    const before = events.length;
    store.apply({ type: 'folders', folders: [folder('INBOX', { unseen: 2 }), folder('New')], source: 'server', asked: store.ticket() });
    assert.equal(events.length, before + 1);
    assert.equal(events.at(-1)?.account, false, 'only a count changed: the INBOX row redraws, not the account');
    assert.deepEqual([...events.at(-1)!.folders], ['INBOX']);
  });

  it('puts an account error on the account once, a folder error on its folder, and forgets them on success', () => {
    const { store } = recorded();
    store.apply({ type: 'failed', path: 'INBOX', error: new MailError('AUTH_FAILED', 'no') });
    assert.equal(store.accountError?.code, 'AUTH_FAILED');
    assert.equal(store.folderError('INBOX'), undefined, 'not repeated on the folder');
    assert.equal(store.failed('INBOX'), true, 'and the folder does not load again by itself');
    store.apply({ type: 'failed', path: 'Gone', error: new MailError('NOT_FOUND', 'gone') });
    assert.equal(store.folderError('Gone')?.code, 'NOT_FOUND');
    assert.equal(store.accountError?.code, 'AUTH_FAILED');
    store.apply({ type: 'retry' });
    assert.equal(store.accountError, undefined);
    assert.equal(store.failed('INBOX'), false);
    store.apply({ type: 'failed', error: new MailError('TIMEOUT', 'slow') });
    load(store, 'INBOX', [message(1, 1)]);
    assert.equal(store.accountError, undefined, 'the server answered: the account works');
  });

  it('remembers a report about a folder whose page is on its way', () => {
    const { store, events } = recorded();
    const asked = store.ticket();
    store.apply({ type: 'heard', path: 'INBOX' });
    assert.equal(store.heardAfter('INBOX', asked), true);
    load(store, 'INBOX', [message(1, 1)]);
    store.apply({ type: 'heard', path: 'INBOX' });
    assert.deepEqual([...events.at(-1)!.stale], ['INBOX'], 'a loaded window is marked for a resync');
  });
});
