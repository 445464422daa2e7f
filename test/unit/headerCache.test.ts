// The header cache on disk: what is kept, what is refused, and what is forgotten.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type AccountConfig } from '../../src/core/account';
import { FolderMessages } from '../../src/core/mail/folderModel';
import { cacheKeyOf, HeaderCache, MAX_CACHED_MESSAGES, restoreModel } from '../../src/core/mail/headerCache';
import { type FolderInfo } from '../../src/core/mail/folders';
import { type MessageSummary } from '../../src/core/mail/headers';

const root = mkdtempSync(join(tmpdir(), 'imapx-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));

const account: AccountConfig = { id: 'work', email: 'me@example.test', imap: { host: 'imap.example.test', port: 993, security: 'tls', user: 'me' } };

function summary(uid: number, extra: Partial<MessageSummary> = {}): MessageSummary {
  return { uid, seq: uid, flags: uid % 2 ? ['\\Seen'] : [], subject: `Message ${uid}`, from: [{ name: 'Zoë', address: 'zoe@example.test' }], to: [], cc: [], replyTo: [], date: new Date(Date.UTC(2026, 10, 1, 0, uid)), size: 1000 + uid, hasAttachment: false, ...extra };
}

function model(count: number): FolderMessages {
  const m = new FolderMessages();
  m.addPage({ messages: Array.from({ length: count }, (_, i) => summary(count - i)), uidValidity: '1700000000', total: 5000, highestModseq: 123456789012345n, next: { beforeUid: 1, seqHint: 1 } }, true);
  return m;
}

describe('header cache', () => {
  it('gives back what was saved: messages with dates, flags, the cursor and the 64-bit MODSEQ', async () => {
    const cache = new HeaderCache(root);
    const key = cacheKeyOf(account);
    const saved = model(60);
    await cache.save(key, 'INBOX', saved);
    const loaded = await cache.load(key, 'INBOX');
    assert.ok(loaded);
    assert.equal(loaded.uidValidity, '1700000000');
    assert.equal(loaded.highestModseq, 123456789012345n);
    assert.equal(loaded.total, 5000);
    assert.deepEqual(loaded.next, { beforeUid: 1, seqHint: 1 });
    assert.deepEqual(loaded.messages, saved.messages);
    assert.ok(loaded.messages[0].date instanceof Date);

    const restored = new FolderMessages();
    restoreModel(restored, loaded);
    assert.equal(restored.loaded, true);
    assert.deepEqual(restored.messages.map((m) => m.uid), saved.messages.map((m) => m.uid));
    assert.equal(restored.highestModseq, 123456789012345n);
  });

  it('keeps the newest messages only, and the next page starts below the oldest kept one', async () => {
    const cache = new HeaderCache(root);
    await cache.save(cacheKeyOf(account), 'Big', model(MAX_CACHED_MESSAGES + 100));
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
      await cache.save(key, path, model(5));
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
    await cache.save(key, 'Damaged', model(3));
    const dir = join(root, 'v1');
    const [accountDir] = readdirSync(dir);
    const files = readdirSync(join(dir, accountDir)).filter((f) => f.endsWith('.json') && f !== 'folders.json');
    for (const file of files) {
      const full = join(dir, accountDir, file);
      const data = JSON.parse(readFileSync(full, 'utf8')) as { path: string };
      if (data.path === 'Damaged') {
        writeFileSync(full, '{"version":1,"path":"Damaged","uidValidity":"1","messages":[{"uid":"<img src=x>"}]}');
      }
    }
    assert.equal(await cache.load(key, 'Damaged'), undefined, 'a message without a numeric UID');
    assert.equal(await cache.load(key, 'Never saved'), undefined);
  });

  it('is keyed by server and user: the same account id pointed elsewhere starts empty', async () => {
    const cache = new HeaderCache(root);
    await cache.save(cacheKeyOf(account), 'INBOX', model(5));
    const moved = { ...account, imap: { ...account.imap, host: 'other.example.test' } };
    assert.equal(await cache.load(cacheKeyOf(moved), 'INBOX'), undefined);
    assert.ok(await cache.load(cacheKeyOf(account), 'INBOX'));
  });

  it('forgets an account entirely', async () => {
    const cache = new HeaderCache(root);
    const other = { ...account, id: 'other' };
    await cache.save(cacheKeyOf(other), 'INBOX', model(5));
    await cache.saveFolders(cacheKeyOf(other), []);
    await cache.clearAccount(cacheKeyOf(other));
    assert.equal(await cache.load(cacheKeyOf(other), 'INBOX'), undefined);
    assert.equal(await cache.loadFolders(cacheKeyOf(other)), undefined);
    assert.ok(await cache.load(cacheKeyOf(account), 'INBOX'), 'other accounts keep theirs');
  });

  it('does not save a folder that was never loaded', async () => {
    const cache = new HeaderCache(root);
    await cache.save(cacheKeyOf(account), 'Empty', new FolderMessages());
    assert.equal(await cache.load(cacheKeyOf(account), 'Empty'), undefined);
  });

  it('names files by hashes, never by account, host or folder', async () => {
    const cache = new HeaderCache(root);
    await cache.save(cacheKeyOf(account), 'INBOX', model(2));
    const all = readdirSync(root, { recursive: true }).map(String);
    assert.ok(all.every((name) => !name.includes('example.test')), 'file names are hashes');
  });
});
