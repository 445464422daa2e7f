// The workspace's git repository through VS Code's built-in git extension (its API, version 1:
// extensions/git/src/api/git.d.ts), and the one place a local process runs git for it. git runs
// where the repository is: this extension declares extensionKind "workspace", so under
// Remote-SSH, WSL, Dev Containers and Codespaces it runs on that machine, next to the files.
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import { type GitHost, nodeGitHost } from '../core/workspace/gitAm';
import { showQuickPick, t, uiPlain } from '../util/ui';

/** The part of the git extension's API this extension uses. */
export interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: {
    readonly HEAD: { readonly name?: string; readonly commit?: string } | undefined;
    readonly remotes: ReadonlyArray<{ readonly name: string; readonly fetchUrl?: string; readonly pushUrl?: string }>;
    readonly onDidChange: vscode.Event<void>;
  };
  getCommit(ref: string): Promise<{ hash: string; message: string; parents: string[] }>;
  status(): Promise<void>;
}

export interface GitApi {
  readonly state: 'uninitialized' | 'initialized';
  readonly onDidChangeState: vscode.Event<'uninitialized' | 'initialized'>;
  readonly git: { readonly path: string };
  readonly repositories: GitRepository[];
  getRepository(uri: vscode.Uri): GitRepository | null;
}

/** The git extension's API, once it has looked at the workspace; undefined when git is disabled or missing. */
export async function gitApi(): Promise<GitApi | undefined> {
  const extension = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi; enabled: boolean }>('vscode.git');
  if (!extension) {
    return undefined;
  }
  const exports = extension.isActive ? extension.exports : await extension.activate();
  if (!exports?.enabled) {
    return undefined;
  }
  const api = exports.getAPI(1);
  if (api.state !== 'initialized') {
    await new Promise<void>((resolve) => {
      const sub = api.onDidChangeState((state) => {
        if (state === 'initialized') {
          sub.dispose();
          resolve();
        }
      });
      setTimeout(() => {
        sub.dispose();
        resolve();
      }, 10000);
    });
  }
  return api;
}

/**
 * The repository to work in: the only one, the one holding the active editor's file, or the one
 * the user picks. Throws a MailError the command wrapper shows when there is none.
 */
export async function workspaceRepository(api: GitApi | undefined): Promise<GitRepository> {
  const repositories = api?.repositories ?? [];
  if (!api || !repositories.length) {
    throw new MailError('NOT_FOUND', vscode.l10n.t('No git repository is open in this window. Open the repository the patch is for, then try again.'));
  }
  if (repositories.length === 1) {
    return repositories[0];
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const byEditor = active ? api.getRepository(active) : null;
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

/**
 * Where git runs for `repository`: a child process in its top folder, with the git the git
 * extension found (its `git.path` is a machine setting, never the workspace's). A repository on
 * another machine than this extension host cannot be run from here, and says so.
 */
export function gitHostFor(api: GitApi, repository: GitRepository): GitHost {
  if (repository.rootUri.scheme !== 'file') {
    throw new MailError('INVALID_INPUT', vscode.l10n.t('This repository is on another machine than the mail extension. Run the extension in the workspace (the default; see "remote.extensionKind") to apply patches there.'));
  }
  return nodeGitHost(repository.rootUri.fsPath, api.git.path || 'git');
}

/** git for the workspace's first repository when it is on this machine (commit links), else undefined. */
export async function workspaceGit(): Promise<GitHost | undefined> {
  const api = await gitApi();
  const repository = api?.repositories[0];
  if (!api || !repository || repository.rootUri.scheme !== 'file') {
    return undefined;
  }
  return gitHostFor(api, repository);
}
