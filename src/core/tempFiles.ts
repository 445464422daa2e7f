// Where opened attachments are written: a folder only this user can enter, one random folder per
// window inside it, removed when the window closes and, should the window have been killed,
// at the next start.
//
//   <os.tmpdir()>/imap-explorer-<uid>/         0700, owned by us, a real directory (never a symlink)
//     <pid>-XXXXXX/                            fs.mkdtemp: a random name, 0700
//       att-XXXXXX/<safe file name>            one folder per opened attachment
//
// A folder of the per-user name made by someone else (another user, a symlink planted in /tmp)
// is refused, and a random folder from mkdtemp directly in the temp directory is used instead.
import { type Stats } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'imap-explorer-';

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

function userTag(): string {
  const uid = currentUid();
  if (uid !== undefined) {
    return String(uid);
  }
  // Windows: the temp directory is already per user; name the folder after the user anyway
  return userInfo().username.replace(/[^\w-]/g, '_').slice(0, 64) || 'user';
}

/** True when `stats` is a real directory that only we can enter (POSIX: owned by us, no group/other bits). */
export function isPrivateDirectory(stats: Stats): boolean {
  if (!stats.isDirectory() || stats.isSymbolicLink()) {
    return false;
  }
  const uid = currentUid();
  if (uid === undefined) {
    return true; // Windows: permissions are ACLs under the user's own temp folder
  }
  return stats.uid === uid && (stats.mode & 0o077) === 0;
}

/**
 * The per-user private folder under `base` (created 0700 if missing). Resolves to undefined when
 * the name is taken by something that is not our private directory.
 */
export async function privateRoot(base: string = tmpdir()): Promise<string | undefined> {
  const root = join(base, `${PREFIX}${userTag()}`);
  try {
    await mkdir(root, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      return undefined;
    }
  }
  try {
    return isPrivateDirectory(await lstat(root)) ? root : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A new folder for this process: `<private root>/<pid>-XXXXXX` (mkdtemp, 0700), or, when the
 * private root cannot be had, `<base>/imap-explorer-<pid>-XXXXXX` (mkdtemp, 0700).
 */
export async function createSessionTempDir(base: string = tmpdir(), pid = process.pid): Promise<string> {
  const root = await privateRoot(base);
  return root ? mkdtemp(join(root, `${pid}-`)) : mkdtemp(join(base, `${PREFIX}${pid}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the folders of windows that are gone (killed before they could clean up): session
 * folders in the private root whose process is dead, and folders of the older layout
 * (`imap-explorer-<pid>` in the temp directory) that are ours and whose process is dead.
 * Returns the folders removed. Never follows a symlink, never touches another user's folder.
 */
export async function removeStaleTempDirs(base: string = tmpdir(), isAlive: (pid: number) => boolean = alive): Promise<string[]> {
  const removed: string[] = [];
  const root = await privateRoot(base);
  const sweep = async (dir: string, pattern: RegExp, check: (stats: Stats) => boolean) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const match = pattern.exec(name);
      const pid = match ? Number(match[1]) : NaN;
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) {
        continue;
      }
      const path = join(dir, name);
      if (path === root) {
        continue; // imap-explorer-<uid> is the private root itself, not a window's folder
      }
      try {
        if (check(await lstat(path))) {
          await rm(path, { recursive: true, force: true });
          removed.push(path);
        }
      } catch {
        // gone meanwhile, or not ours
      }
    }
  };
  if (root) {
    await sweep(root, /^(\d{1,10})-[A-Z0-9]{6}$/i, (s) => s.isDirectory() && !s.isSymbolicLink());
  }
  // the fallback layout and the layout before private roots: only folders that are ours
  await sweep(base, /^imap-explorer-(\d{1,10})(?:-[A-Za-z0-9]{6})?$/, isPrivateDirectory);
  return removed;
}

/**
 * Whether an attachment can be shown in VS Code's plain text editor: its first bytes (8 KB is
 * plenty) hold no NUL and decode as UTF-8. Anything else is opened outside VS Code, after the user
 * confirmed, never in an editor that renders or runs content (notebooks, previews, custom editors).
 */
export function looksLikeText(head: Uint8Array): boolean {
  if (head.includes(0)) {
    return false;
  }
  try {
    // a multi-byte character cut at the end of the sample is not an error
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, trimPartialUtf8(head)));
    return true;
  } catch {
    return false;
  }
}

function trimPartialUtf8(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back];
    if ((b & 0xc0) !== 0x80) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      return need > back ? end - back : end;
    }
  }
  return end;
}
