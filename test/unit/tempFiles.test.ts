import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSessionTempDir, looksLikeText, privateRoot, removeStaleTempDirs } from '../../src/core/tempFiles';

const bases: string[] = [];
function base(): string {
  const dir = mkdtempSync(join(tmpdir(), 'imapx-temp-test-'));
  bases.push(dir);
  return dir;
}
const uid = process.getuid!();
const rootName = `imap-explorer-${uid}`;

describe('private temp folders for opened attachments', () => {
  after(() => bases.forEach((b) => rmSync(b, { recursive: true, force: true })));

  it('makes a random 0700 folder per window inside a 0700 per-user folder', async () => {
    const b = base();
    const one = await createSessionTempDir(b, 4242);
    const two = await createSessionTempDir(b, 4242);
    assert.notEqual(one, two, 'mkdtemp: not predictable');
    assert.equal(dirname(one), join(b, rootName));
    assert.match(basename(one), /^4242-[A-Z0-9]{6}$/i);
    assert.equal(lstatSync(join(b, rootName)).mode & 0o777, 0o700);
    assert.equal(lstatSync(one).mode & 0o777, 0o700);
  });

  it('refuses a per-user folder name taken by a symlink, someone else, or open permissions', async () => {
    for (const plant of ['symlink', 'other-owner', 'open-mode'] as const) {
      const b = base();
      const elsewhere = mkdtempSync(join(b, 'attacker-'));
      const root = join(b, rootName);
      if (plant === 'symlink') {
        symlinkSync(elsewhere, root);
      } else {
        mkdirSync(root, { mode: 0o700 });
        if (plant === 'other-owner') {
          chownSync(root, 65534, 65534);
        } else {
          chmodSync(root, 0o777);
        }
      }
      assert.equal(await privateRoot(b), undefined, plant);
      const dir = await createSessionTempDir(b, 4242);
      assert.equal(dirname(dir), b, `${plant}: falls back to a random folder of its own`);
      assert.match(basename(dir), /^imap-explorer-4242-[A-Za-z0-9]{6}$/);
      assert.equal(lstatSync(dir).mode & 0o777, 0o700);
      assert.ok(!existsSync(join(elsewhere, basename(dir))), 'nothing written through the planted link');
    }
  });

  it('removes the folders of dead windows at the next start, and nothing else', async () => {
    const b = base();
    const dead = await createSessionTempDir(b, 999_001);
    writeFileSync(join(dead, 'left-behind.pdf'), 'x');
    const living = await createSessionTempDir(b, 999_002);
    const legacyDead = join(b, 'imap-explorer-999003');
    mkdirSync(legacyDead, { mode: 0o700 });
    const legacyOthers = join(b, 'imap-explorer-999004');
    mkdirSync(legacyOthers, { mode: 0o700 });
    chownSync(legacyOthers, 65534, 65534);
    const unrelated = join(b, 'something-else-999005');
    mkdirSync(unrelated);
    const removed = await removeStaleTempDirs(b, (pid) => pid === 999_002);
    assert.deepEqual(removed.sort(), [dead, legacyDead].sort());
    assert.ok(!existsSync(dead) && !existsSync(legacyDead));
    assert.ok(existsSync(living), 'a living window keeps its folder');
    assert.ok(existsSync(legacyOthers), "another user's folder is not ours to remove");
    assert.ok(existsSync(unrelated));
    assert.ok(existsSync(join(b, rootName)), 'the per-user folder itself stays');
  });
});

describe('which attachments the text editor may show', () => {
  it('text and UTF-8 yes, binary no', () => {
    assert.equal(looksLikeText(Buffer.from('%PDF-1.4\n% plain\n')), true);
    assert.equal(looksLikeText(Buffer.from('{"cells": [], "metadata": {}}')), true, 'a notebook is text: shown as text, never as a notebook');
    assert.equal(looksLikeText(Buffer.from('日本語テキスト', 'utf8').subarray(0, 8)), true, 'a character cut by the sample');
    assert.equal(looksLikeText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), false);
    assert.equal(looksLikeText(Buffer.from([0x41, 0xff, 0xfe, 0x41])), false);
  });
});
