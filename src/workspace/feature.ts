// Mail meets the workspace: patches applied with git, stack traces and commits that link into the
// code, links to messages. Builds the parts, registers their providers and the URI handler, and
// returns the commands for the one command wrapper.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { type Composer } from '../compose/composer';
import { SOURCE_SCHEME } from '../source/sourceProvider';
import { type MessageRef } from '../tree/nodes';
import { type MailModel } from '../tree/model';
import { type Triage } from '../triage/triage';
import { type CommandTable } from '../util/commands';
import { Disposable } from '../util/dispose';
import { CodeLinkResolver, COMMIT_SCHEME, CommitDocuments, MailDocumentLinks, OPEN_CODE_REFERENCE, SHOW_COMMIT, showCommit } from './codeLinks';
import { type GitWorkspace } from './git';
import { MailLinks } from './mailLinks';
import { PATCHED_SCHEME, Patches } from './patches';

export interface WorkspaceDeps {
  accounts: AccountStore;
  sessions: SessionPool;
  tree: MailModel;
  triage: Triage;
  composer: Composer;
  resolver: CodeLinkResolver;
  /** This window's private folder for opened attachments. */
  tempDir(): Promise<string>;
  open(ref: MessageRef): Promise<void>;
  extensionId: string;
  log: vscode.LogOutputChannel;
  /** Where git runs for the workspace's repositories (git.ts). */
  git: GitWorkspace;
}

export class WorkspaceFeature extends Disposable {
  readonly resolver: CodeLinkResolver;
  readonly patches: Patches;
  readonly links: MailLinks;

  constructor(private readonly deps: WorkspaceDeps) {
    super();
    this.resolver = deps.resolver;
    this.patches = new Patches(deps);
    this.links = new MailLinks(deps);
    this._register(vscode.window.registerUriHandler(this.links));
    this._register(vscode.workspace.registerTextDocumentContentProvider(PATCHED_SCHEME, this.patches.documents));
    const git = () => deps.git.forLinks();
    this._register(vscode.workspace.registerTextDocumentContentProvider(COMMIT_SCHEME, new CommitDocuments(git)));
    // View Source documents and text attachments opened from a message
    const links = new MailDocumentLinks(this.resolver, git);
    this._register(vscode.languages.registerDocumentLinkProvider({ scheme: SOURCE_SCHEME }, links));
    // attachments opened from a message live in this window's private folder
    void deps.tempDir().then((dir) => this._register(vscode.languages.registerDocumentLinkProvider({ scheme: 'file', pattern: new vscode.RelativePattern(vscode.Uri.file(dir), '**/*') }, links)), (err: unknown) => deps.log.warn(`No code links in attachments: ${String(err)}`));
  }

  commands(): CommandTable {
    return {
      'imapExplorer.applyPatch': (...args: unknown[]) => this.patches.apply(args),
      'imapExplorer.openPatchAsDiff': (...args: unknown[]) => this.patches.openAsDiff(args),
      'imapExplorer.abortPatchApply': () => this.patches.abort(),
      'imapExplorer.openPatchConflicts': () => this.patches.openConflicts(),
      'imapExplorer.replyWithReview': (...args: unknown[]) => this.deps.composer.replyWithReview(args),
      'imapExplorer.copyMessageLink': (...args: unknown[]) => this.links.copyLink(args),
      'imapExplorer.openMessageLink': (text?: unknown) => this.links.openPastedLink(text),
      'imapExplorer.copyAsMarkdown': (...args: unknown[]) => this.links.copyAsMarkdown(args),
      'imapExplorer.openAsIssue': (...args: unknown[]) => this.links.openAsIssue(args),
      [OPEN_CODE_REFERENCE]: (key: unknown) => this.resolver.open(key),
      [SHOW_COMMIT]: (sha: unknown) => showCommit(sha),
    };
  }
}
