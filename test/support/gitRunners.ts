// The two git runners of src/workspace/ for tests, against real git and real files: the child
// process runner as the extension uses it, and the VS Code task runner with its executor replaced
// by one that starts the very ProcessExecution argv (command, args, cwd, env) as a local process,
// with no stdin and its output thrown away, as a task's terminal would. The executor is the only
// stand-in: the file protocol, the argv and git are the product's.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type GitRunner, type RepoFiles } from '../../src/core/workspace/gitRunner';
import { processGitRunner } from '../../src/workspace/gitProcess';
import { type TaskExecutor, type TaskSpec, taskGitRunner } from '../../src/workspace/gitTask';

/** RepoFiles on this machine's disk (what vscode.workspace.fs does for a file: folder). */
export function diskFiles(): RepoFiles {
  return {
    read: async (path) => {
      try {
        return await readFile(path);
      } catch {
        return undefined;
      }
    },
    write: async (path, data) => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, data);
    },
    remove: (path) => rm(path, { recursive: true, force: true }),
    stat: async (path) => {
      try {
        return (await stat(path)).isDirectory() ? 'directory' : 'file';
      } catch {
        return undefined;
      }
    },
  };
}

/** Runs each task's ProcessExecution as a local process; `seen` collects the specs. */
export function localTaskExecutor(seen: TaskSpec[] = []): TaskExecutor {
  return (spec) =>
    new Promise((resolve) => {
      seen.push(spec);
      const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: 'ignore', shell: false });
      child.on('error', () => resolve(undefined));
      child.on('close', (code) => resolve(code ?? undefined));
    });
}

export interface RunnerUnderTest {
  name: 'process' | 'task';
  make(root: string): GitRunner;
  /** The task specs run so far (task runner only). */
  specs: TaskSpec[];
}

/** Both runners, for tests that must pass through each. */
export function bothRunners(): RunnerUnderTest[] {
  const specs: TaskSpec[] = [];
  return [
    { name: 'process', make: (root) => processGitRunner(root, diskFiles()), specs: [] },
    { name: 'task', make: (root) => taskGitRunner(root, diskFiles(), localTaskExecutor(specs)), specs },
  ];
}
