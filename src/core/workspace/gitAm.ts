// Applying patch mail to a repository with `git am -3`, on the raw message bytes as the server
// stored them (aerc's lesson: decoded text loses CRs, charsets and trailing spaces that a patch
// needs). git runs with an argv array, never through a shell, only in the repository given. A
// series goes in one `git am` session, in order, so "Abort" (`git am --abort`) undoes all of it;
// review trailers are then added by rewriting the new commits with git's plumbing
// (cat-file, interpret-trailers, hash-object, update-ref), which keeps authors and dates as am
// wrote them. A conflict leaves the repository as git left it and says which patch failed.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Trailer } from './series';

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Where git runs: the repository's machine (a local process, or a remote one in VS Code). */
export interface GitHost {
  /** Runs `git <args>` in the repository's top folder, argv only (no shell); `input` goes to stdin. */
  git(args: string[], input?: Buffer | string): Promise<GitResult>;
  /** Puts files where git can read them; returns their paths (as git sees them) and a cleanup. */
  stage(files: Array<{ name: string; data: Buffer }>): Promise<{ paths: string[]; cleanup(): Promise<void> }>;
  /** Reads a file by the path git printed (undefined when it does not exist). */
  readText(path: string): Promise<string | undefined>;
}

const MAX_OUTPUT = 64 * 1024 * 1024;

/** Runs git as a child process of this one: for a repository on this machine. */
export function nodeGitHost(repositoryRoot: string, gitPath = 'git', env: NodeJS.ProcessEnv = process.env): GitHost {
  return {
    git: (args, input) =>
      new Promise((resolve, reject) => {
        const child = spawn(gitPath, args, { cwd: repositoryRoot, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
        const out: Buffer[] = [];
        let outBytes = 0;
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          outBytes += d.length;
          if (outBytes <= MAX_OUTPUT) {
            out.push(d);
          }
        });
        child.stderr.on('data', (d: Buffer) => {
          if (err.length < 1024 * 1024) {
            err += d.toString('utf8');
          }
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
        child.stdin.on('error', () => undefined);
        child.stdin.end(input ?? '');
      }),
    stage: async (files) => {
      const dir = await mkdtemp(join(tmpdir(), 'imap-explorer-am-'));
      const paths: string[] = [];
      for (const [i, file] of files.entries()) {
        const path = join(dir, `${String(i + 1).padStart(4, '0')}-${file.name.replace(/[^\w.-]+/g, '_').slice(0, 60)}.eml`);
        await writeFile(path, file.data, { mode: 0o600 });
        paths.push(path);
      }
      return { paths, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
    readText: async (path) => {
      try {
        return await readFile(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

export class GitError extends Error {
  constructor(message: string, readonly stderr = '') {
    super(message);
    this.name = 'GitError';
  }
}

async function gitText(host: GitHost, args: string[], input?: Buffer | string): Promise<string> {
  const result = await host.git(args, input);
  if (result.code !== 0) {
    throw new GitError(`git ${args[0]} failed: ${lastLines(result.stderr) || `exit code ${result.code}`}`, result.stderr);
  }
  return result.stdout.toString('utf8');
}

function lastLines(text: string, count = 6): string {
  return text.trim().split('\n').filter((l) => !/^hint:/.test(l)).slice(-count).join('\n');
}

/** One patch mail to apply: its raw bytes as the IMAP server returned them (RFC822, not BODY[TEXT]). */
export interface PatchToApply {
  /** Shown in messages: "[PATCH v2 2/3] parser: ...". */
  label: string;
  raw: Buffer;
  /** Review trailers to add to this patch's commit (when options.addTrailers). */
  trailers?: Trailer[];
}

export interface ApplyOptions {
  /** Create and switch to this branch first (from the current HEAD). */
  branch?: string;
  /** Add each patch's trailers to its commit. */
  addTrailers?: boolean;
}

export type ApplyResult =
  | { status: 'applied'; commits: string[]; branch?: string; trailersAdded: number }
  | {
      status: 'conflict';
      /** Index (0-based, into the patches given) of the patch git stopped at. */
      failed: number;
      /** Patches committed before it. */
      applied: number;
      /** Files with conflict markers (paths relative to the repository). */
      conflicts: string[];
      /** What git said, its last lines. */
      message: string;
      branch?: string;
    }
  | { status: 'refused'; message: string };

/** The repository's (or worktree's) git directory, absolute, with forward slashes. */
export async function gitDir(host: GitHost): Promise<string> {
  return (await gitText(host, ['rev-parse', '--absolute-git-dir'])).trim().replace(/\\/g, '/');
}

/** What is going on in the repository that makes a new `git am` impossible, or undefined. */
export async function operationInProgress(host: GitHost): Promise<'am' | 'rebase' | 'merge' | 'cherry-pick' | undefined> {
  const dir = await gitDir(host);
  const [applying, next, rebaseMerge, merge, cherry] = ['rebase-apply/applying', 'rebase-apply/next', 'rebase-merge/head-name', 'MERGE_HEAD', 'CHERRY_PICK_HEAD'].map((name) => `${dir}/${name}`);
  if ((await host.readText(applying)) !== undefined) {
    return 'am';
  }
  if ((await host.readText(next)) !== undefined || (await host.readText(rebaseMerge)) !== undefined) {
    return 'rebase';
  }
  if ((await host.readText(merge)) !== undefined) {
    return 'merge';
  }
  if ((await host.readText(cherry)) !== undefined) {
    return 'cherry-pick';
  }
  return undefined;
}

async function headCommit(host: GitHost): Promise<string | undefined> {
  const result = await host.git(['rev-parse', '--verify', '-q', 'HEAD']);
  return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
}

/** Files with unresolved conflicts, relative to the repository's top folder. */
export async function conflictedFiles(host: GitHost): Promise<string[]> {
  const out = await gitText(host, ['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(out.split('\0').filter(Boolean))];
}

/**
 * Applies `patches` in order with one `git am -3` session. Refuses (changing nothing) while an am,
 * rebase, merge or cherry-pick is in progress, or when the branch cannot be created. On a conflict
 * the repository stays in git's am state (`git status` says "You are in the middle of an am
 * session"), the caller offers `git am --abort` (abortAm) or resolving.
 */
export async function applyPatches(host: GitHost, patches: PatchToApply[], options: ApplyOptions = {}): Promise<ApplyResult> {
  if (!patches.length) {
    return { status: 'refused', message: 'There is no patch to apply.' };
  }
  const busy = await operationInProgress(host);
  if (busy) {
    return { status: 'refused', message: `A git ${busy} is in progress in this repository. Finish or abort it first.` };
  }
  if (options.branch) {
    const check = await host.git(['check-ref-format', '--branch', options.branch]);
    if (check.code !== 0) {
      return { status: 'refused', message: `"${options.branch}" is not a valid branch name.` };
    }
    const exists = await host.git(['rev-parse', '--verify', '-q', `refs/heads/${options.branch}`]);
    if (exists.code === 0) {
      return { status: 'refused', message: `A branch named "${options.branch}" already exists.` };
    }
  }
  const start = await headCommit(host);
  if (options.branch) {
    const created = await host.git(['switch', '-c', options.branch]);
    if (created.code !== 0) {
      return { status: 'refused', message: `The branch "${options.branch}" could not be created: ${lastLines(created.stderr)}` };
    }
  }
  const staged = await host.stage(patches.map((p, i) => ({ name: `patch-${i + 1}`, data: p.raw })));
  let am: GitResult;
  try {
    am = await host.git(['am', '-3', '--patch-format=mbox', ...staged.paths]);
  } finally {
    await staged.cleanup();
  }
  const branch = options.branch ? { branch: options.branch } : {};
  if (am.code !== 0) {
    const nextText = await host.readText(`${await gitDir(host)}/rebase-apply/next`);
    if (nextText === undefined) {
      const created = options.branch ? ` The branch "${options.branch}" was created and is checked out.` : '';
      return { status: 'refused', message: `git am applied nothing: ${lastLines(am.stderr)}${created}` };
    }
    const failed = Math.max(0, Math.min(patches.length - 1, Number(nextText.trim()) - 1));
    // git says "Patch failed at 0002 <subject>" on stdout, the reason on stderr
    const said = `${am.stdout.toString('utf8')}\n${am.stderr}`.split('\n').filter((l) => !l.startsWith('Applying: ')).join('\n');
    return { status: 'conflict', failed, applied: failed, conflicts: await conflictedFiles(host), message: lastLines(said, 10), ...branch };
  }
  const range = start ? `${start}..HEAD` : 'HEAD';
  let commits = (await gitText(host, ['rev-list', '--reverse', range])).split('\n').filter(Boolean);
  let trailersAdded = 0;
  if (options.addTrailers && patches.some((p) => p.trailers?.length) && commits.length === patches.length) {
    const rewritten = await addTrailers(host, commits, patches.map((p) => p.trailers ?? []));
    commits = rewritten.commits;
    trailersAdded = rewritten.added;
  }
  return { status: 'applied', commits, trailersAdded, ...branch };
}

/** `git am --abort`: back to the commit and branch from before the am session. */
export async function abortAm(host: GitHost): Promise<void> {
  await gitText(host, ['am', '--abort']);
}

/**
 * Adds trailers to the commits (oldest first; each HEAD's ancestor chain) and moves HEAD to the
 * rewritten last commit. Trees, authors and dates are kept byte for byte; a signature (gpgsig)
 * would no longer match and is dropped.
 */
export async function addTrailers(host: GitHost, commits: string[], trailers: Trailer[][]): Promise<{ commits: string[]; added: number }> {
  const oldHead = commits[commits.length - 1];
  let parent: string | undefined;
  const out: string[] = [];
  let added = 0;
  for (const [i, commit] of commits.entries()) {
    const raw = (await host.git(['cat-file', 'commit', commit])).stdout;
    const split = raw.indexOf('\n\n');
    const header = raw.subarray(0, split).toString('utf8');
    const message = raw.subarray(split + 2);
    const extra = trailers[i] ?? [];
    let newMessage: Buffer = message;
    if (extra.length) {
      const args = ['interpret-trailers', '--if-exists', 'addIfDifferent', ...extra.flatMap((t) => ['--trailer', `${t.name}: ${t.value.replace(/[\r\n]+/g, ' ')}`])];
      newMessage = (await host.git(args, message)).stdout;
      added += extra.length;
    }
    const headerLines: string[] = [];
    let skipping = false;
    for (const line of header.split('\n')) {
      if (skipping && line.startsWith(' ')) {
        continue;
      }
      skipping = line.startsWith('gpgsig');
      if (skipping) {
        continue;
      }
      headerLines.push(parent && line.startsWith('parent ') && i > 0 && line === `parent ${commits[i - 1]}` ? `parent ${parent}` : line);
    }
    if (!extra.length && parent === commits[i - 1] && headerLines.join('\n') === header) {
      out.push(commit);
      parent = commit;
      continue;
    }
    const object = Buffer.concat([Buffer.from(`${headerLines.join('\n')}\n\n`, 'utf8'), newMessage]);
    const id = (await gitText(host, ['hash-object', '-t', 'commit', '-w', '--stdin'], object)).trim();
    out.push(id);
    parent = id;
  }
  const newHead = out[out.length - 1];
  if (newHead !== oldHead) {
    await gitText(host, ['update-ref', '-m', 'imap-explorer: add review trailers', 'HEAD', newHead, oldHead]);
  }
  return { commits: out, added };
}
