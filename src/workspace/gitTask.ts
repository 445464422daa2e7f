// git as a VS Code task: the runner for a repository on another machine than this extension host
// (the UI side of a Remote-SSH, WSL, Dev Container or Codespaces window). The workbench starts a
// task's ProcessExecution in a terminal of the window's remote, so git runs where the repository
// is: microsoft/vscode terminalTaskSystem.ts creates the task's terminal with a string cwd, and
// terminalProcessManager.ts launches a terminal whose cwd is not a URI on the window's
// remoteAuthority (the remote agent). "Supporting Remote Development"
// (code.visualstudio.com/api/advanced-topics/remote-extensions) describes the two sides.
// A task has no stdin and its output goes to a terminal no extension can read, so the runner
// gives only exit codes (TaskProcessEndEvent.exitCode); everything else goes through files
// (core/workspace/gitRunner.ts). This module has no `vscode` import: the executor is handed in
// (git.ts runs it with vscode.tasks; tests run the same argv as a local process).
import { GIT_GLOBAL_ARGS, type GitRunner, type RepoFiles } from '../core/workspace/gitRunner';

/** What a VS Code ProcessExecution task gets: the program, its arguments, where, and extra environment. */
export interface TaskSpec {
  /** The task's name in the terminal ("git am"). */
  label: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Runs a task to its end: the process's exit code, or undefined when it did not start or was stopped. */
export type TaskExecutor = (spec: TaskSpec) => Promise<number | undefined>;

/**
 * VS Code resolves `${...}` variables in a task's command, arguments, cwd and environment
 * (`${command:...}` even runs a command), and ProcessExecution has no way to escape them. No
 * argument with `${` is passed: the runner refuses the run instead.
 */
export function taskSafe(value: string): boolean {
  return !value.includes('${');
}

/** The ProcessExecution for `git <args>` in `root`. Throws when an argument cannot pass through a task. */
export function gitTaskSpec(root: string, args: string[], gitPath = 'git'): TaskSpec {
  const argv = [...GIT_GLOBAL_ARGS, ...args];
  const unsafe = [root, gitPath, ...argv].find((a) => !taskSafe(a));
  if (unsafe !== undefined) {
    throw new Error('This git command cannot run as a VS Code task: an argument holds "${", which VS Code would replace.');
  }
  return { label: `git ${args[0] ?? ''}`.trim(), command: gitPath, args: argv, cwd: root, env: { GIT_TERMINAL_PROMPT: '0' } };
}

/** A runner that starts each git command as a task through `execute`. */
export function taskGitRunner(root: string, files: RepoFiles, execute: TaskExecutor, gitPath = 'git'): GitRunner {
  return {
    kind: 'task',
    root,
    files,
    run: async (args) => {
      const code = await execute(gitTaskSpec(root, args, gitPath));
      return { code: code ?? -1 };
    },
  };
}
