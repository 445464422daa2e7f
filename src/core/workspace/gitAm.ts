// Applying patch mail to a repository with `git am -3`, on the raw message bytes as the server
// stored them (aerc's lesson: decoded text loses CRs, charsets and trailing spaces that a patch
// needs). git runs with an argv array, never through a shell, only in the repository given. A
// series goes in one `git am` session, in order, so "Abort" (`git am --abort`) undoes all of it;
// review trailers are then added by rewriting the new commits with git's plumbing (the commits
// read with `log --format=raw` and `%B`, checked byte for byte against their ids;
// interpret-trailers; hash-object; update-ref), which keeps authors and dates as am wrote them.
// A conflict leaves the repository as git left it and says which patch failed. Everything goes
// through the file protocol of gitRunner.ts, so it runs the same as a child process and as a
// VS Code task on the repository's machine.
import { type GitRun, type GitRunner, gitDirOf, gitOutput, joinPath, objectId, scratchFolder } from './gitRunner';
import { type Trailer } from './series';

export class GitError extends Error {
  constructor(message: string, readonly stderr = '') {
    super(message);
    this.name = 'GitError';
  }
}

function lastLines(text: string, count = 6): string {
  return text.trim().split('\n').filter((l) => !/^hint:/.test(l)).slice(-count).join('\n');
}

/** What a failed run said: git's last lines where the runner sees them, else its exit code. */
function said(run: GitRun): string {
  return (run.stderr && lastLines(run.stderr)) || `exit code ${run.code}`;
}

async function gitOk(runner: GitRunner, args: string[]): Promise<void> {
  const run = await runner.run(args);
  if (run.code !== 0) {
    throw new GitError(`git ${args[0]} failed: ${said(run)}`, run.stderr);
  }
}

/** The output of a diff/log/show command (written by git with --output), or a GitError. */
async function gitText(runner: GitRunner, args: string[]): Promise<string> {
  const run = await gitOutput(runner, args);
  if (run.code !== 0) {
    throw new GitError(`git ${args[0]} failed: ${said(run)}`, run.stderr);
  }
  return run.output.toString('utf8');
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
  | {
      status: 'applied';
      commits: string[];
      branch?: string;
      trailersAdded: number;
      /** Why trailers that were asked for were not added (the commits stay as am made them). */
      trailersSkipped?: string;
    }
  | {
      status: 'conflict';
      /** Index (0-based, into the patches given) of the patch git stopped at. */
      failed: number;
      /** Patches committed before it. */
      applied: number;
      /** Files with conflict markers (paths relative to the repository). */
      conflicts: string[];
      /** What git said, its last lines (or what its state files say, where the runner cannot see its output). */
      message: string;
      branch?: string;
    }
  | { status: 'refused'; message: string };

/** The repository's (or worktree's) git directory, absolute, with forward slashes. */
export async function gitDir(runner: GitRunner): Promise<string> {
  return gitDirOf(runner);
}

/** What is going on in the repository that makes a new `git am` impossible, or undefined. */
export async function operationInProgress(runner: GitRunner): Promise<'am' | 'rebase' | 'merge' | 'cherry-pick' | undefined> {
  const dir = await gitDir(runner);
  const exists = async (name: string) => (await runner.files.stat(joinPath(dir, name))) !== undefined;
  if (await exists('rebase-apply/applying')) {
    return 'am';
  }
  if ((await exists('rebase-apply/next')) || (await exists('rebase-merge/head-name'))) {
    return 'rebase';
  }
  if (await exists('MERGE_HEAD')) {
    return 'merge';
  }
  if (await exists('CHERRY_PICK_HEAD')) {
    return 'cherry-pick';
  }
  return undefined;
}

/** The commit HEAD names, or undefined on an unborn branch. */
export async function headCommit(runner: GitRunner): Promise<string | undefined> {
  const run = await gitOutput(runner, ['log', '-1', '--format=%H', 'HEAD']);
  const id = run.output.toString('utf8').trim();
  return run.code === 0 && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(id) ? id : undefined;
}

/** Files with unresolved conflicts, relative to the repository's top folder. */
export async function conflictedFiles(runner: GitRunner): Promise<string[]> {
  const out = await gitText(runner, ['diff', '--name-only', '--diff-filter=U', '-z']);
  return [...new Set(out.split('\0').filter(Boolean))];
}

/** A file name for a staged patch: its number and a tame form of its label. */
function stagedName(index: number, label: string): string {
  return `${String(index + 1).padStart(4, '0')}-${label.replace(/[^\w.-]+/g, '_').slice(0, 60)}.eml`;
}

/**
 * Applies `patches` in order with one `git am -3` session. Refuses (changing nothing) while an am,
 * rebase, merge or cherry-pick is in progress, or when the branch cannot be created. On a conflict
 * the repository stays in git's am state (`git status` says "You are in the middle of an am
 * session"), the caller offers `git am --abort` (abortAm) or resolving.
 */
export async function applyPatches(runner: GitRunner, patches: PatchToApply[], options: ApplyOptions = {}): Promise<ApplyResult> {
  if (!patches.length) {
    return { status: 'refused', message: 'There is no patch to apply.' };
  }
  const busy = await operationInProgress(runner);
  if (busy) {
    return { status: 'refused', message: `A git ${busy} is in progress in this repository. Finish or abort it first.` };
  }
  if (options.branch) {
    const check = await runner.run(['check-ref-format', '--branch', options.branch]);
    if (check.code !== 0) {
      return { status: 'refused', message: `"${options.branch}" is not a valid branch name.` };
    }
    const exists = await runner.run(['rev-parse', '--verify', '-q', `refs/heads/${options.branch}`]);
    if (exists.code === 0) {
      return { status: 'refused', message: `A branch named "${options.branch}" already exists.` };
    }
  }
  const start = await headCommit(runner);
  if (options.branch) {
    const created = await runner.run(['switch', '-c', options.branch]);
    if (created.code !== 0) {
      return { status: 'refused', message: `The branch "${options.branch}" could not be created: ${said(created)}` };
    }
  }
  // the raw bytes go to git as files on the repository's machine, never through a decoder
  const scratch = await scratchFolder(runner);
  let am: GitRun;
  try {
    const paths: string[] = [];
    for (const [i, patch] of patches.entries()) {
      const path = scratch.path(stagedName(i, `patch-${i + 1}`));
      await runner.files.write(path, patch.raw);
      paths.push(path);
    }
    am = await runner.run(['am', '-3', '--patch-format=mbox', ...paths]);
  } finally {
    await scratch.dispose();
  }
  const branch = options.branch ? { branch: options.branch } : {};
  if (am.code !== 0) {
    const dir = await gitDir(runner);
    const next = await runner.files.read(joinPath(dir, 'rebase-apply/next'));
    if (next === undefined) {
      const created = options.branch ? ` The branch "${options.branch}" was created and is checked out.` : '';
      return { status: 'refused', message: `git am applied nothing: ${said(am)}${created}` };
    }
    const number = Number(new TextDecoder().decode(next).trim());
    const failed = Math.max(0, Math.min(patches.length - 1, number - 1));
    // git's own account of the stop is in its state: the patch number and the message it was applying
    const msg = new TextDecoder().decode((await runner.files.read(joinPath(dir, 'rebase-apply/final-commit'))) ?? (await runner.files.read(joinPath(dir, 'rebase-apply/msg'))) ?? new Uint8Array());
    const subject = msg.split('\n')[0]?.trim() || patches[failed]?.label || '';
    const reason = am.stderr ? lastLines(am.stderr.split('\n').filter((l) => !l.startsWith('Applying: ')).join('\n'), 8) : `git am stopped with exit code ${am.code}.`;
    return { status: 'conflict', failed, applied: failed, conflicts: await conflictedFiles(runner), message: `Patch failed at ${String(number).padStart(4, '0')} ${subject}\n${reason}`, ...branch };
  }
  const range = start ? `${start}..HEAD` : 'HEAD';
  let commits = (await gitText(runner, ['log', '--reverse', '--format=%H', range])).split('\n').filter(Boolean);
  let trailersAdded = 0;
  let trailersSkipped: string | undefined;
  if (options.addTrailers && patches.some((p) => p.trailers?.length) && commits.length === patches.length) {
    try {
      const rewritten = await addTrailers(runner, commits, patches.map((p) => p.trailers ?? []));
      commits = rewritten.commits;
      trailersAdded = rewritten.added;
    } catch (err) {
      trailersSkipped = err instanceof Error ? err.message : String(err);
    }
  }
  return { status: 'applied', commits, trailersAdded, ...branch, ...(trailersSkipped ? { trailersSkipped } : {}) };
}

/** `git am --abort`: back to the commit and branch from before the am session. */
export async function abortAm(runner: GitRunner): Promise<void> {
  await gitOk(runner, ['am', '--abort']);
}

/**
 * A trailer as one argument for `git interpret-trailers --trailer`: on one line, and never with
 * `${`, which a VS Code task would take for a variable (`${command:...}` runs a command). A name
 * or address never holds it, so such a trailer is left out (returns undefined).
 */
export function trailerArgument(trailer: Trailer): string | undefined {
  const text = `${trailer.name}: ${trailer.value.replace(/[\r\n]+/g, ' ')}`;
  return text.includes('${') ? undefined : text;
}

/** Splits `log --no-walk=unsorted --format=raw` output into each commit's header block (exact bytes, as stored). */
function rawHeaders(raw: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < raw.length) {
    const lineEnd = raw.indexOf(0x0a, at);
    const line = raw.subarray(at, lineEnd < 0 ? raw.length : lineEnd).toString('latin1');
    const m = /^commit ([0-9a-f]{40}(?:[0-9a-f]{24})?)$/.exec(line);
    if (!m) {
      at = lineEnd < 0 ? raw.length : lineEnd + 1;
      continue;
    }
    const start = lineEnd + 1;
    const end = raw.indexOf('\n\n', start);
    out.set(m[1], raw.subarray(start, end < 0 ? raw.length : end + 1));
    at = end < 0 ? raw.length : end + 2;
  }
  return out;
}

/** Splits `log --format=format:%H%x00%B%x00` output into each commit's message (exact bytes). */
function rawMessages(raw: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (at < raw.length) {
    const idEnd = raw.indexOf(0, at);
    if (idEnd < 0) {
      break;
    }
    const id = raw.subarray(at, idEnd).toString('latin1').trim();
    const bodyEnd = raw.indexOf(0, idEnd + 1);
    if (bodyEnd < 0) {
      break;
    }
    out.set(id, raw.subarray(idEnd + 1, bodyEnd));
    at = bodyEnd + 1;
  }
  return out;
}

/**
 * The commits' objects as stored (header and message), read with `git log` and checked against
 * their ids: a commit whose bytes cannot be rebuilt exactly (a message in another encoding, a
 * NUL) throws, and nothing is rewritten.
 */
async function readCommits(runner: GitRunner, commits: string[]): Promise<Map<string, { header: Buffer; message: Buffer }>> {
  const headers = rawHeaders((await gitOutputOk(runner, ['log', '--no-walk=unsorted', '--no-decorate', '--format=raw', ...commits])));
  const messages = rawMessages((await gitOutputOk(runner, ['log', '--no-walk=unsorted', '--no-decorate', '--encoding=UTF-8', '--format=format:%H%x00%B%x00', ...commits])));
  const out = new Map<string, { header: Buffer; message: Buffer }>();
  for (const id of commits) {
    const header = headers.get(id);
    const message = messages.get(id);
    if (!header || !message || objectId('commit', Buffer.concat([header, Buffer.from('\n'), message]), id.length === 64 ? 64 : 40) !== id) {
      throw new GitError(`The commit ${id.slice(0, 12)} could not be read exactly, so no trailers were added.`);
    }
    out.set(id, { header, message });
  }
  return out;
}

async function gitOutputOk(runner: GitRunner, args: string[]): Promise<Buffer> {
  const run = await gitOutput(runner, args);
  if (run.code !== 0) {
    throw new GitError(`git ${args[0]} failed: ${said(run)}`, run.stderr);
  }
  return run.output;
}

/**
 * Adds trailers to the commits (oldest first; each HEAD's ancestor chain) and moves HEAD to the
 * rewritten last commit. Trees, authors and dates are kept byte for byte; a signature (gpgsig)
 * would no longer match and is dropped. Trailers holding `${` are left out (trailerArgument).
 */
export async function addTrailers(runner: GitRunner, commits: string[], trailers: Trailer[][]): Promise<{ commits: string[]; added: number }> {
  const oldHead = commits[commits.length - 1];
  const idLength = oldHead.length === 64 ? 64 : 40;
  const objects = await readCommits(runner, commits);
  const scratch = await scratchFolder(runner);
  try {
    // every message that gets trailers, through `git interpret-trailers --in-place`
    const messages = new Map<number, Buffer>();
    let added = 0;
    for (const [i, commit] of commits.entries()) {
      const args = (trailers[i] ?? []).map(trailerArgument).filter((a): a is string => a !== undefined);
      const message = objects.get(commit)!.message;
      if (!args.length) {
        messages.set(i, message);
        continue;
      }
      const file = scratch.path(`message-${i + 1}`);
      await runner.files.write(file, message);
      await gitOk(runner, ['interpret-trailers', '--in-place', '--if-exists', 'addIfDifferent', ...args.flatMap((a) => ['--trailer', a]), file]);
      const edited = await runner.files.read(file);
      if (!edited) {
        throw new GitError('git interpret-trailers left no message.');
      }
      messages.set(i, Buffer.from(edited));
      added += args.length;
    }
    // the new commit objects, each on the rewritten parent; ids computed as git computes them
    const out: string[] = [];
    const files: string[] = [];
    let parent: string | undefined;
    for (const [i, commit] of commits.entries()) {
      const header = objects.get(commit)!.header.toString('utf8');
      const headerLines: string[] = [];
      let skipping = false;
      for (const line of header.replace(/\n$/, '').split('\n')) {
        if (skipping && line.startsWith(' ')) {
          continue;
        }
        skipping = line.startsWith('gpgsig');
        if (skipping) {
          continue;
        }
        headerLines.push(parent && i > 0 && line === `parent ${commits[i - 1]}` ? `parent ${parent}` : line);
      }
      const object = Buffer.concat([Buffer.from(`${headerLines.join('\n')}\n\n`, 'utf8'), messages.get(i)!]);
      const id = objectId('commit', object, idLength);
      if (id === commit) {
        out.push(commit);
        parent = commit;
        continue;
      }
      const file = scratch.path(`commit-${i + 1}`);
      await runner.files.write(file, object);
      files.push(file);
      out.push(id);
      parent = id;
    }
    if (files.length) {
      await gitOk(runner, ['hash-object', '-t', 'commit', '-w', ...files]);
    }
    const newHead = out[out.length - 1];
    if (newHead !== oldHead) {
      // refuses unless HEAD is still oldHead and newHead exists: what hash-object wrote is what was computed
      await gitOk(runner, ['update-ref', '-m', 'imap-explorer: add review trailers', 'HEAD', newHead, oldHead]);
    }
    return { commits: out, added };
  } finally {
    await scratch.dispose();
  }
}

/**
 * Which of `hashes` (7 to 40 hex digits) name commits of the repository: a map from each such
 * hash to the full commit id. One `git log --no-walk --ignore-missing` run.
 */
export async function findCommits(runner: GitRunner, hashes: string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(hashes.filter((h) => /^[0-9a-f]{7,64}$/i.test(h)))].slice(0, 100);
  const out = new Map<string, string>();
  if (!wanted.length) {
    return out;
  }
  const unique = [...new Set(wanted.map((h) => h.toLowerCase()))];
  const run = await gitOutput(runner, ['log', '--no-walk=unsorted', '--no-decorate', '--ignore-missing', '--format=%H', ...unique.map((h) => `${h}^{commit}`), '--']);
  const ids = run.output.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(l));
  for (const hash of wanted) {
    const id = ids.find((i) => i.startsWith(hash.toLowerCase()));
    if (id) {
      out.set(hash, id);
    }
  }
  return out;
}

/** `git show` of a commit (fuller header, stat and patch; no external diff or textconv programs). */
export async function commitText(runner: GitRunner, id: string): Promise<string> {
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(id)) {
    throw new GitError('Not a commit id.');
  }
  return gitText(runner, ['show', '--no-ext-diff', '--no-textconv', '--format=fuller', '--stat', '--patch', id, '--']);
}
