// Where and how git runs for the workspace's repository. The extension prefers the UI side
// (package.json "extensionKind": ["ui", "workspace"]), so the mail connection leaves from the
// user's machine; the repository may then be on another machine (Remote-SSH, WSL, Dev Containers,
// Codespaces), reachable only through VS Code: its files through vscode.workspace.fs, its
// processes through VS Code tasks, which the workbench runs in a terminal where the workspace is.
//
// So git is driven by one protocol that works both ways: argv only (no shell, no stdin), results
// from exit codes and from files git writes itself (`--output=<file>`, `interpret-trailers
// --in-place`, its own state under .git/rebase-apply/), inputs as files written into a private
// folder under the repository's git directory. A runner that can also see git's stderr (a child
// process of this extension host) says more when something fails; nothing depends on it.
//
// The interface is declared here, in core, because the git algorithms (gitAm.ts) are written
// against it; its two implementations and the choice between them live in src/workspace/.
import { createHash, randomBytes } from 'node:crypto';
import { trimChars } from '../text';

/** One run of git: its exit code (-1 when it could not start) and, when this runner sees it, its stderr. */
export interface GitRun {
  code: number;
  stderr?: string;
}

/**
 * The repository's files, by absolute path as git on the repository's machine sees it (forward
 * slashes; `c:/x` on Windows). In VS Code: vscode.workspace.fs on the workspace folder's URI
 * scheme and authority, so local and remote alike.
 */
export interface RepoFiles {
  /** The file's bytes, or undefined when it does not exist (or is a folder). */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Creates or replaces the file (and its parent folders). */
  write(path: string, data: Uint8Array): Promise<void>;
  /** Removes a file or a folder with what it holds; nothing when it does not exist. */
  remove(path: string): Promise<void>;
  stat(path: string): Promise<'file' | 'directory' | undefined>;
}

/** git for one repository: a child process on this machine, or a VS Code task where the repository is. */
export interface GitRunner {
  /** 'process' (a child process of this extension host) or 'task' (a VS Code task, possibly on another machine). */
  readonly kind: 'process' | 'task';
  /** The repository's top folder, as git sees it (absolute, forward slashes). */
  readonly root: string;
  readonly files: RepoFiles;
  /**
   * Runs `git <args>` in `root`: argv only, never through a shell, nothing on stdin. Its stdout is
   * not read: commands whose output matters write it to a file (see gitOutput).
   */
  run(args: string[]): Promise<GitRun>;
}

/**
 * git's global options for every run: no pager (a task's terminal is a tty, and a pager would
 * wait for a key), no colour codes in files, no signature checks that start gpg.
 */
export const GIT_GLOBAL_ARGS = ['--no-pager', '-c', 'color.ui=false', '-c', 'log.showSignature=false', '-c', 'core.quotePath=false'];

/** Joins a folder and a relative path with forward slashes. */
export function joinPath(dir: string, name: string): string {
  return `${trimChars(dir, '/', 'end')}/${trimChars(name, '/', 'start')}`;
}

function parentOf(path: string): string {
  const cut = trimChars(path, '/', 'end').lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** Resolves `target` (absolute, or relative to `base`) with forward slashes, `.` and `..` folded. */
export function resolvePath(base: string, target: string): string {
  const t = target.trim().replace(/\\/g, '/');
  const absolute = t.startsWith('/') || /^[a-z]:\//i.test(t);
  const parts = (absolute ? t : `${base}/${t}`).split('/');
  const out: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === '..') {
      if (out.length > 1) {
        out.pop();
      }
    } else if (part !== '.' && (part !== '' || i === 0)) {
      out.push(part);
    }
  }
  return out.join('/') || '/';
}

/**
 * The repository's git directory (absolute, forward slashes): `<root>/.git`, or where a `.git`
 * file points (`gitdir: ...`, for worktrees and submodules). Read through the runner's files, so
 * it works where git cannot be asked.
 */
export async function gitDirOf(runner: Pick<GitRunner, 'root' | 'files'>): Promise<string> {
  const dotGit = joinPath(runner.root, '.git');
  const kind = await runner.files.stat(dotGit);
  if (kind === 'directory') {
    return dotGit;
  }
  if (kind === 'file') {
    const text = new TextDecoder().decode(await runner.files.read(dotGit));
    const m = /^gitdir:[ \t]*(\S[^\r\n]*)/m.exec(text);
    if (m) {
      return resolvePath(runner.root, m[1].trim());
    }
  }
  throw new Error(`${runner.root} is not the top folder of a git repository (no .git).`);
}

/** The folder shared by a repository's worktrees (config, refs): `commondir` of a worktree's git directory. */
export async function commonDirOf(runner: Pick<GitRunner, 'files'>, gitDir: string): Promise<string> {
  const common = await runner.files.read(joinPath(gitDir, 'commondir'));
  return common ? resolvePath(gitDir, new TextDecoder().decode(common).trim()) : gitDir;
}

/**
 * Finds the top folder of the repository holding `folder`: the nearest folder upwards with a
 * `.git` (a folder, or a file for worktrees and submodules). Undefined when there is none.
 */
export async function findRepositoryRoot(files: RepoFiles, folder: string): Promise<string | undefined> {
  let dir = trimChars(folder, '/', 'end') || '/';
  for (let depth = 0; depth < 64; depth++) {
    if (await files.stat(joinPath(dir, '.git'))) {
      return dir;
    }
    const up = parentOf(dir);
    if (up === dir || /^[a-z]:$/i.test(dir)) {
      return undefined;
    }
    dir = up;
  }
  return undefined;
}

/**
 * A private folder under the git directory for one operation's inputs and outputs, removed by
 * `dispose()`. Under .git it is never part of the work tree, and it is on the repository's
 * machine, where git reads it.
 */
export async function scratchFolder(runner: Pick<GitRunner, 'root' | 'files'>): Promise<{ dir: string; path(name: string): string; dispose(): Promise<void> }> {
  const dir = joinPath(await gitDirOf(runner), `imap-explorer/${randomBytes(8).toString('hex')}`);
  return {
    dir,
    path: (name) => joinPath(dir, name),
    dispose: () => runner.files.remove(dir).catch(() => undefined),
  };
}

/**
 * Runs a git command that takes `--output=<file>` (diff, log, show) and returns what it wrote,
 * with the exit code. The option goes right after the subcommand, with `--no-color` (a user's
 * `color.diff=always` would put escape codes in the file).
 */
export async function gitOutput(runner: GitRunner, args: string[]): Promise<GitRun & { output: Buffer }> {
  const scratch = await scratchFolder(runner);
  try {
    const file = scratch.path('output');
    // git writes the file; its folder must exist first
    await runner.files.write(scratch.path('.keep'), new Uint8Array());
    const run = await runner.run([args[0], `--output=${file}`, '--no-color', ...args.slice(1)]);
    const data = await runner.files.read(file);
    return { ...run, output: Buffer.from(data ?? new Uint8Array()) };
  } finally {
    await scratch.dispose();
  }
}

/**
 * The object id git gives `body` as an object of `type` (SHA-1 or SHA-256 by the length of the
 * repository's ids): `hash("<type> <length>\0" + body)` (gitformat-loose(5)).
 */
export function objectId(type: 'commit' | 'blob' | 'tree', body: Uint8Array, idLength: 40 | 64): string {
  const hash = createHash(idLength === 64 ? 'sha256' : 'sha1');
  hash.update(`${type} ${body.length}\0`);
  hash.update(body);
  return hash.digest('hex');
}

/** Where git runs for a repository, decided from where this extension runs (see whereGitRuns). */
export type GitPlacement =
  | { kind: 'process' }
  | { kind: 'task' }
  | { kind: 'none'; reason: 'virtual' };

/**
 * Picks the runner:
 * - a child process when the repository is reachable from this extension host: a `file:` folder,
 *   which names a file on this host's machine (a local window; or this extension running in the
 *   workspace's extension host, `Extension.extensionKind === ExtensionKind.Workspace`, as in
 *   code-server, Codespaces in a browser, or when the user set "remote.extensionKind");
 * - a VS Code task when this extension runs on the UI side of a remote window
 *   (`vscode.env.remoteName` set, a `vscode-remote:` folder): the workbench starts task processes
 *   in the remote's terminal, where the repository is;
 * - nothing for a virtual workspace (e.g. a GitHub repository opened without a clone).
 * `forced` ('task') is for tests only (IMAP_EXPLORER_GIT_RUNNER, read once at activation).
 */
export function whereGitRuns(where: { extensionKind: 'ui' | 'workspace'; remoteName: string | undefined; scheme: string; forced?: 'task' }): GitPlacement {
  if (where.forced === 'task') {
    return { kind: 'task' };
  }
  if (where.scheme === 'file') {
    return { kind: 'process' };
  }
  if (where.remoteName && where.extensionKind === 'ui' && where.scheme === 'vscode-remote') {
    return { kind: 'task' };
  }
  return { kind: 'none', reason: 'virtual' };
}
