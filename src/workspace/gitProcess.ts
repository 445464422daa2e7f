// git as a child process of this extension host: the runner for a repository on this machine
// (a `file:` workspace folder; see whereGitRuns in core/workspace/gitRunner.ts). The one module
// of src/workspace that starts a process. argv only (no shell), nothing on stdin; stderr is kept
// for messages, stdout is not read (results come back through files, as from the task runner).
import { spawn } from 'node:child_process';
import { GIT_GLOBAL_ARGS, type GitRun, type GitRunner, type RepoFiles } from '../core/workspace/gitRunner';

const MAX_STDERR = 1024 * 1024;

/**
 * A runner for the repository at `root` (a path on this machine) with the git at `gitPath` (the
 * git extension's `git.path`, a machine setting; 'git' from PATH otherwise).
 */
export function processGitRunner(root: string, files: RepoFiles, gitPath = 'git', env: NodeJS.ProcessEnv = process.env): GitRunner {
  return {
    kind: 'process',
    root,
    files,
    run: (args) =>
      new Promise<GitRun>((resolve) => {
        const child = spawn(gitPath, [...GIT_GLOBAL_ARGS, ...args], { cwd: root, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'ignore', 'pipe'], shell: false, windowsHide: true });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => {
          if (stderr.length < MAX_STDERR) {
            stderr += d.toString('utf8');
          }
        });
        child.on('error', (err) => resolve({ code: -1, stderr: `git could not be started: ${err.message}` }));
        child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
      }),
  };
}
