// The header cache on disk: what is kept, what is refused, and what is forgotten.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type AccountConfig } from '../../src/core/account';
import { CACHE_VERSION, cacheKeyOf, HeaderCache, MAX_CACHED_MESSAGES, restoreWindow } from '../../src/core/mail/headerCache';
import { type FolderInfo } from '../../src/core/mail/folders';
import { type MessageSummary } from '../../src/core/mail/headers';
import { FolderWindow } from '../../src/core/mail/window';

const root = mkdtempSync(join(tmpdir(), 'imapx-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));

const account: AccountConfig = { id: 'work', email: 'me@example.test', imap: { host: 'imap.example.test', port: 993, security: 'tls', user: 'me' } };

function summary(uid: number, extra: Partial<MessageSummary> = {}): MessageSummary {
  return { uid, seq: uid, flags: uid % 2 ? ['\\Seen'] : [], subject: `Message ${uid}`, from: [{ name: 'Zoë', address: 'zoe@example.test' }], to: [], cc: [], replyTo: [], date: new Date(Date.UTC(2026, 10, 1, 0, uid)), internalDate: new Date(Date.UTC(2026, 10, 1, 0, uid, 5)), size: 1000 + uid, hasAttachment: false, ...extra };
}

function model(count: number, path = 'INBOX'): FolderWindow {
  return FolderWindow.fromPage(path, { messages: Array.from({ length: count }, (_, i) => summary(count - i)), uidValidity: '1700000000', total: 5000, highestModseq: 123456789012345n, next: { beforeUid: 1, seqHint: 1 } });
}

describe('header cache', () => {
  it('gives back what was saved: messages with dates, flags, the cursor and the 64-bit MODSEQ', async () => {
    const cache = new HeaderCache(root);
    const key = cacheKeyOf(account);
    const saved = model(60);
    await cache.save(key, saved);
    const loaded = await cache.load(key, 'INBOX');
    assert.ok(loaded);
    assert.equal(loaded.uidValidity, '1700000000');
    assert.equal(loaded.highestModseq, 123456789012345n);
    assert.equal(loaded.total, 5000);
    assert.deepEqual(loaded.next, { beforeUid: 1, seqHint: 1 });
    assert.deepEqual(loaded.messages, saved.newestByUid(60));
    assert.ok(loaded.messages[0].date instanceof Date);
    assert.ok(loaded.messages[0].internalDate instanceof Date, 'INTERNALDATE is kept: rows are ordered by it');

    const restored = restoreWindow(loaded);
    assert.deepEqual(restored.messages.map((m) => m.uid), saved.messages.map((m) => m.uid));
    assert.equal(restored.highestModseq, 123456789012345n);
  });

  it('keeps the newest messages only, and the next page starts below the oldest kept one', async () => {
    const cache = new HeaderCache(root);
    await cache.save(cacheKeyOf(account), model(MAX_CACHED_MESSAGES + 100, 'Big'));
    const loaded = await cache.load(cacheKeyOf(account), 'Big');
    assert.equal(loaded?.messages.length, MAX_CACHED_MESSAGES);
    assert.equal(loaded?.messages[0].uid, MAX_CACHED_MESSAGES + 100);
    assert.equal(loaded?.next?.beforeUid, 101);
  });

  it('keeps the folder list', async () => {
    const cache = new HeaderCache(root);
    const folders = [{ path: 'INBOX', name: 'INBOX', delimiter: '/', specialUse: 'inbox' as const, selectable: true, subscribed: true, unseen: 3, total: 10, children: [] }];
    await cache.saveFolders(cacheKeyOf(account), folders);
    assert.deepEqual(await cache.loadFolders(cacheKeyOf(account)), folders);
  });

  it('forgets the headers of folders the server no longer lists (deleted or renamed)', async () => {
    const cache = new HeaderCache(join(root, 'pruning'));
    const key = cacheKeyOf(account);
    const folder = (path: string, children: FolderInfo[] = []): FolderInfo => ({ path, name: path.split('/').at(-1)!, delimiter: '/', selectable: true, subscribed: true, children });
    for (const path of ['INBOX', 'Projects/Old', 'Projects/Kept']) {
      await cache.save(key, model(5, path));
    }
    await cache.saveFolders(key, [folder('INBOX'), folder('Projects', [folder('Projects/Kept'), folder('Projects/New')])]);
    assert.ok(await cache.load(key, 'INBOX'));
    assert.ok(await cache.load(key, 'Projects/Kept'), 'a child folder still listed is kept');
    assert.equal(await cache.load(key, 'Projects/Old'), undefined, 'the renamed folder is gone from disk');
    assert.equal((await cache.loadFolders(key))?.length, 2);
  });

  it('ignores files that are damaged, of another version or of another folder', async () => {
    const cache = new HeaderCache(root);
    const key = cacheKeyOf(account);
    await cache.save(key, model(3, 'Damaged'));
    const dir = join(root, `v${CACHE_VERSION}`);
    const [accountDir] = readdirSync(dir);
    const files = readdirSync(join(dir, accountDir)).filter((f) => f.endsWith('.json') && f !== 'folders.json');
    for (const file of files) {
      const full = join(dir, accountDir, file);
      const data = JSON.parse(readFileSync(full, 'utf8')) as { path: string };
      if (data.path === 'Damaged') {
        writeFileSync(full, `{"version":${CACHE_VERSION},"path":"Damaged","uidValidity":"1","messages":[{"uid":"<img src=x>"}]}`);
      }
    }
    assert.equal(await cache.load(key, 'Damaged'), undefined, 'a message without a numeric UID');
    assert.equal(await cache.load(key, 'Never saved'), undefined);
  });

  it('is keyed by server and user: the same account id pointed elsewhere starts empty', async () => {
    const cache = new HeaderCache(root);
    await cache.save(cacheKeyOf(account), model(5));
    const moved = { ...account, imap: { ...account.imap, host: 'other.example.test' } };
    assert.equal(await cache.load(cacheKeyOf(moved), 'INBOX'), undefined);
    assert.ok(await cache.load(cacheKeyOf(account), 'INBOX'));
  });

  it('forgets an account entirely', async () => {
    const cache = new HeaderCache(root);
    const other = { ...account, id: 'other' };
    await cache.save(cacheKeyOf(other), model(5));
    await cache.saveFolders(cacheKeyOf(other), []);
    await cache.clearAccount(cacheKeyOf(other));
    assert.equal(await cache.load(cacheKeyOf(other), 'INBOX'), undefined);
    assert.equal(await cache.loadFolders(cacheKeyOf(other)), undefined);
    assert.ok(await cache.load(cacheKeyOf(account), 'INBOX'), 'other accounts keep theirs');
  });

  it('keeps a UID range when the rows are ordered by arrival: a message moved in keeps its old date', async () => {
    const cache = new HeaderCache(root);
    const count = MAX_CACHED_MESSAGES + 10;
    // the newest UID arrived long ago (moved back by Undo): first by UID, last by arrival
    const messages = Array.from({ length: count }, (_, i) => summary(count - i, i === 0 ? { internalDate: new Date(Date.UTC(2020, 0, 1)) } : {}));
    const window = FolderWindow.fromPage('Moved', { messages, uidValidity: '9', total: count });
    assert.equal(window.messages.at(-1)?.uid, count, 'shown where it arrived');
    await cache.save(cacheKeyOf(account), window);
    const loaded = await cache.load(cacheKeyOf(account), 'Moved');
    assert.deepEqual(loaded?.messages.map((m) => m.uid), Array.from({ length: MAX_CACHED_MESSAGES }, (_, i) => count - i), 'the newest UIDs, not the newest dates');
    assert.equal(loaded?.next?.beforeUid, count - MAX_CACHED_MESSAGES + 1);
  });

  it('removes what older versions of the cache left', async () => {
    const dir = join(root, 'versions');
    const cache = new HeaderCache(dir);
    await cache.save(cacheKeyOf(account), model(2));
    mkdirSync(join(dir, 'v1', 'someaccount'), { recursive: true });
    writeFileSync(join(dir, 'v1', 'someaccount', 'folders.json'), '{}');
    await cache.pruneOldVersions();
    assert.deepEqual(readdirSync(dir), [`v${CACHE_VERSION}`]);
  });

  it('names files by hashes, never by account, host or folder', async () => {
    const cache = new HeaderCache(root);
    await cache.save(cacheKeyOf(account), model(2));
    const all = readdirSync(root, { recursive: true }).map(String);
    assert.ok(all.every((name) => !name.includes('example.test')), 'file names are hashes');
  });
});
