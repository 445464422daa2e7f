// The workspace's git repositories and where git runs for them. This extension prefers the UI
// side ("extensionKind": ["ui", "workspace"]): the IMAP and SMTP connections leave from the
// user's machine. The repository is then wherever the workspace is, and reached only through
// VS Code: files through vscode.workspace.fs with the folder's own URI (file:, vscode-remote:),
// which VS Code routes to the machine that holds them, and git as a child process when the
// repository is on this extension host's machine, else as a VS Code task, which the workbench
// starts on the window's remote ("Supporting Remote Development",
// code.visualstudio.com/api/advanced-topics/remote-extensions; whereGitRuns in
// core/workspace/gitRunner.ts). The built-in git extension's API is used where it runs in this
// same extension host (its exports do not cross hosts): for its list of repositories, its
// git.path, the branch name and the remotes; otherwise the same facts come from the files.
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import { commonDirOf, findRepositoryRoot, GIT_GLOBAL_ARGS, type GitPlacement, type GitRunner, gitDirOf, joinPath, type RepoFiles, whereGitRuns } from '../core/workspace/gitRunner';
import { parseGitRemotes } from '../core/workspace/share';
import { showQuickPick, t, uiPlain } from '../util/ui';
import { processGitRunner } from './gitProcess';
import { type TaskExecutor, type TaskSpec, taskGitRunner } from './gitTask';

/** The part of the git extension's API (version 1, extensions/git/src/api/git.d.ts) this extension uses. */
interface GitExtensionRepository {
  readonly rootUri: vscode.Uri;
  readonly state: {
    readonly HEAD: { readonly name?: string; readonly commit?: string } | undefined;
    readonly remotes: ReadonlyArray<{ readonly name: string; readonly fetchUrl?: string; readonly pushUrl?: string }>;
  };
  status(): Promise<void>;
}

interface GitExtensionApi {
  readonly state: 'uninitialized' | 'initialized';
  readonly onDidChangeState: vscode.Event<'uninitialized' | 'initialized'>;
  readonly git: { readonly path: string };
  readonly repositories: GitExtensionRepository[];
}

/** The environment variable that makes git run as VS Code tasks even for a local repository. For tests only. */
export const FORCE_TASK_RUNNER_ENV = 'IMAP_EXPLORER_GIT_RUNNER';

/** The task type of git runs (package.json contributes.taskDefinitions). */
export const GIT_TASK_TYPE = 'imapExplorerGit';

/** A path as git on the repository's machine sees it: the URI's path, without the slash before a Windows drive. */
export function gitPathOf(uri: vscode.Uri): string {
  return /^\/[a-z]:/i.test(uri.path) ? uri.path.slice(1) : uri.path;
}

function uriOfGitPath(base: vscode.Uri, path: string): vscode.Uri {
  return base.with({ path: path.startsWith('/') ? path : `/${path}`, query: '', fragment: '' });
}

/** The repository's files through vscode.workspace.fs, on `base`'s scheme and authority (local or remote). */
export function workspaceFiles(base: vscode.Uri): RepoFiles {
  const fs = vscode.workspace.fs;
  return {
    read: async (path) => {
      try {
        return await fs.readFile(uriOfGitPath(base, path));
      } catch {
        return undefined;
      }
    },
    write: async (path, data) => {
      const uri = uriOfGitPath(base, path);
      await fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
      await fs.writeFile(uri, data);
    },
    remove: async (path) => {
      try {
        await fs.delete(uriOfGitPath(base, path), { recursive: true, useTrash: false });
      } catch {
        // already gone
      }
    },
    stat: async (path) => {
      try {
        const stat = await fs.stat(uriOfGitPath(base, path));
        return stat.type & vscode.FileType.Directory ? 'directory' : 'file';
      } catch {
        return undefined;
      }
    },
  };
}

/** Numbers the git tasks of this window, so each task's terminal has a name of its own. */
let taskNumber = 0;

/**
 * Runs a git TaskSpec as a VS Code task (a ProcessExecution: argv, no shell) and resolves to its
 * exit code from onDidEndTaskProcess; undefined when the process never ran (onDidEndTask without
 * a process end: variables not resolved, git not found). The terminal stays hidden.
 *
 * A non-zero exit is an answer here (`git am` stopped on a conflict, `rev-parse --verify` found
 * no branch), not a failure to report: with `close: true` the workbench would raise "The terminal
 * process ... terminated with exit code" for it (terminalInstance.ts, terminal.integrated.
 * showExitAlert), so the terminal is kept open (`close: false`, which sets waitOnExit and no
 * alert; terminalTaskSystem.ts getWaitOnExitValue) and this executor closes it itself once the
 * process ended, found by the task's numbered name.
 */
export function vscodeTaskExecutor(scope: vscode.WorkspaceFolder | vscode.TaskScope.Workspace, log: vscode.LogOutputChannel): TaskExecutor {
  return (spec: TaskSpec) =>
    new Promise<number | undefined>((resolve, reject) => {
      const number = ++taskNumber;
      const id = `${process.pid}-${Date.now().toString(36)}-${number}`;
      const name = `${spec.label} (mail #${number})`;
      const task = new vscode.Task({ type: GIT_TASK_TYPE, id }, scope, name, 'IMAP Mailbox Explorer', new vscode.ProcessExecution(spec.command, spec.args, { cwd: spec.cwd, env: spec.env }), []);
      task.presentationOptions = { reveal: vscode.TaskRevealKind.Never, focus: false, echo: true, panel: vscode.TaskPanelKind.Dedicated, showReuseMessage: false, clear: false, close: false };
      const mine = (execution: vscode.TaskExecution) => (execution.task.definition as { id?: unknown }).id === id;
      const terminals = new Set<vscode.Terminal>();
      const ours = (terminal: vscode.Terminal) => terminal.name.includes(name);
      let settled = false;
      const finish = (code: number | undefined) => {
        if (!settled) {
          settled = true;
          subscriptions.forEach((s) => s.dispose());
          vscode.window.terminals.filter(ours).forEach((t) => terminals.add(t));
          terminals.forEach((t) => t.dispose());
          log.debug(`git task "${spec.label}" ended: ${code ?? 'did not run'}; ${terminals.size} terminal(s) closed`);
          resolve(code);
        }
      };
      // the workbench fires ProcessEnded before End (terminalTaskSystem.ts), so End alone means no process ran
      const subscriptions = [
        vscode.window.onDidOpenTerminal((t) => ours(t) && terminals.add(t)),
        vscode.tasks.onDidEndTaskProcess((e) => mine(e.execution) && finish(e.exitCode)),
        vscode.tasks.onDidEndTask((e) => mine(e.execution) && finish(undefined)),
      ];
      log.info(`git via a VS Code task: git ${spec.args.slice(GIT_GLOBAL_ARGS.length).join(' ').slice(0, 300)}`);
      vscode.tasks.executeTask(task).then(undefined, (err: unknown) => {
        settled = true;
        subscriptions.forEach((s) => s.dispose());
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
}

/** A repository of the workspace and git for it. */
export interface WorkspaceRepository {
  readonly rootUri: vscode.Uri;
  readonly runner: GitRunner;
  /** Its name for messages: the top folder's name. */
  readonly name: string;
  /** The checked-out branch ("main"), or a short commit id when HEAD is detached. */
  headName(): Promise<string>;
  /** Its remotes' URLs. */
  remotes(): Promise<Array<{ name: string; url: string }>>;
  /** Tells the Source Control view to look again (where the git extension's API is reachable). */
  refresh(): void;
}

async function gitExtensionApi(): Promise<GitExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<{ getAPI(version: 1): GitExtensionApi; enabled: boolean }>('vscode.git');
  if (!extension) {
    return undefined;
  }
  try {
    const exports = extension.isActive ? extension.exports : await extension.activate();
    if (!exports?.enabled) {
      return undefined;
    }
    const api = exports.getAPI(1);
    if (api.state !== 'initialized') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          sub.dispose();
          resolve();
        }, 10000);
        const sub = api.onDidChangeState((state) => {
          if (state === 'initialized') {
            clearTimeout(timer);
            sub.dispose();
            resolve();
          }
        });
      });
    }
    return api;
  } catch {
    // the git extension runs in another extension host (its exports do not cross hosts)
    return undefined;
  }
}

/** Where git runs, and the workspace's repositories. One per window, built at activation. */
export class GitWorkspace {
  constructor(
    private readonly where: { extensionKind: 'ui' | 'workspace'; forced?: 'task' },
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /**
   * From the running extension: its kind (`Extension.extensionKind`, refined by the user's
   * "remote.extensionKind") and the test-only IMAP_EXPLORER_GIT_RUNNER=task, read once here.
   */
  static forExtension(extensionId: string, log: vscode.LogOutputChannel): GitWorkspace {
    const kind = vscode.extensions.getExtension(extensionId)?.extensionKind === vscode.ExtensionKind.Workspace ? 'workspace' : 'ui';
    const forced = process.env[FORCE_TASK_RUNNER_ENV] === 'task' ? 'task' : undefined;
    log.info(`Extension host: ${kind}${vscode.env.remoteName ? ` in a ${vscode.env.remoteName} window` : ''}; git runs ${forced ? 'as VS Code tasks (IMAP_EXPLORER_GIT_RUNNER, tests only)' : 'where the repository is'}.`);
    return new GitWorkspace({ extensionKind: kind, ...(forced ? { forced } : {}) }, log);
  }

  placement(uri: vscode.Uri): GitPlacement {
    return whereGitRuns({ extensionKind: this.where.extensionKind, remoteName: vscode.env.remoteName, scheme: uri.scheme, ...(this.where.forced ? { forced: this.where.forced } : {}) });
  }

  private runner(rootUri: vscode.Uri, placement: GitPlacement, gitPath: string | undefined): GitRunner | undefined {
    const root = gitPathOf(rootUri);
    const files = workspaceFiles(rootUri);
    if (placement.kind === 'process') {
      return processGitRunner(root, files, gitPath || 'git');
    }
    if (placement.kind === 'task') {
      const folder = vscode.workspace.getWorkspaceFolder(rootUri);
      // git.path is a machine setting of the git extension's host; a task on another machine finds git on its PATH
      return taskGitRunner(root, files, vscodeTaskExecutor(folder ?? vscode.TaskScope.Workspace, this.log));
    }
    return undefined;
  }

  /** Every repository of the workspace that git can be run for (none in an untrusted workspace). */
  async repositories(): Promise<WorkspaceRepository[]> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!vscode.workspace.isTrusted || !folders.length) {
      return [];
    }
    // forced tasks behave as a UI extension in a remote window does: no git extension API in reach
    const api = !this.where.forced && folders.some((f) => f.uri.scheme === 'file') ? await gitExtensionApi() : undefined;
    const out: WorkspaceRepository[] = [];
    const seen = new Set<string>();
    const add = (rootUri: vscode.Uri, known: GitExtensionRepository | undefined) => {
      const key = rootUri.toString();
      const placement = this.placement(rootUri);
      const runner = seen.has(key) ? undefined : this.runner(rootUri, placement, api?.git.path);
      if (runner) {
        seen.add(key);
        out.push(this.describe(rootUri, runner, known));
      }
    };
    for (const repository of api?.repositories ?? []) {
      add(repository.rootUri, repository);
    }
    if (!out.length) {
      // the git extension is not in this extension host (a UI extension in a remote window) or is off
      for (const folder of folders) {
        if (this.placement(folder.uri).kind === 'none') {
          continue;
        }
        const root = await findRepositoryRoot(workspaceFiles(folder.uri), gitPathOf(folder.uri));
        if (root !== undefined) {
          add(uriOfGitPath(folder.uri, root), undefined);
        }
      }
    }
    return out;
  }

  private describe(rootUri: vscode.Uri, runner: GitRunner, known: GitExtensionRepository | undefined): WorkspaceRepository {
    return {
      rootUri,
      runner,
      name: rootUri.path.split('/').filter(Boolean).pop() ?? rootUri.path,
      headName: async () => {
        if (known?.state.HEAD) {
          return known.state.HEAD.name ?? known.state.HEAD.commit?.slice(0, 8) ?? 'HEAD';
        }
        const head = new TextDecoder().decode(await runner.files.read(joinPath(await gitDirOf(runner), 'HEAD'))).trim();
        return /^ref: refs\/heads\/(.+)$/.exec(head)?.[1] ?? (head.slice(0, 8) || 'HEAD');
      },
      remotes: async () => {
        if (known) {
          return known.state.remotes.flatMap((r) => (r.fetchUrl ?? r.pushUrl ? [{ name: r.name, url: (r.fetchUrl ?? r.pushUrl)! }] : []));
        }
        const config = await runner.files.read(joinPath(await commonDirOf(runner, await gitDirOf(runner)), 'config'));
        return config ? parseGitRemotes(new TextDecoder().decode(config)) : [];
      },
      refresh: () => {
        void known?.status().catch(() => undefined);
      },
    };
  }

  /**
   * The repository to work in: the only one, the one holding the active editor's file, or the one
   * the user picks. Throws a MailError the command wrapper shows when there is none, saying why.
   */
  async repository(): Promise<WorkspaceRepository> {
    if (!vscode.workspace.isTrusted) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('Trust this workspace first: git runs the repository\'s own configuration and hooks.'));
    }
    const repositories = await this.repositories();
    if (!repositories.length) {
      const folders = vscode.workspace.workspaceFolders ?? [];
      if (folders.length && folders.every((f) => this.placement(f.uri).kind === 'none')) {
        throw new MailError('NOT_FOUND', vscode.l10n.t('This workspace is not on a disk where git can run (a virtual workspace). Clone the repository and open the clone to apply patches.'));
      }
      throw new MailError('NOT_FOUND', vscode.l10n.t('No git repository is open in this window. Open the repository the patch is for, then try again.'));
    }
    if (repositories.length === 1) {
      return repositories[0];
    }
    const active = vscode.window.activeTextEditor?.document.uri;
    const byEditor = active ? repositories.filter((r) => active.toString().startsWith(`${r.rootUri.toString()}/`)).sort((a, b) => b.rootUri.path.length - a.rootUri.path.length)[0] : undefined;
    if (byEditor) {
      return byEditor;
    }
    const picked = await showQuickPick(
      repositories.map((r) => ({ label: uiPlain(vscode.workspace.asRelativePath(r.rootUri) || r.rootUri.path), repository: r })),
      { placeHolder: t('Which repository?') },
    );
    if (!picked) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('No repository was chosen.'));
    }
    return picked.repository;
  }

  /** git for the workspace's first repository, for commit links; undefined when there is none (never asks). */
  async forLinks(): Promise<GitRunner | undefined> {
    return (await this.repositories().catch(() => []))[0]?.runner;
  }
}
