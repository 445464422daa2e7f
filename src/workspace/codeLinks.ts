// Links from mail into the code: stack frames and file:line found by the core tokenizer, resolved
// against the workspace folders by the longest path suffix (vscode.workspace.findFiles, so only
// workspace files, local or remote), and commit hashes that name a commit of the workspace's
// repository. Editors (View Source, text attachments) get them from a DocumentLinkProvider; the
// message view asks the host by index. Nothing a sender wrote is ever opened as a path: the host
// opens only URIs that findFiles returned, after checking they are inside a workspace folder.
import * as vscode from 'vscode';
import { MailError } from '../core/errors';
import { type CodeReference, findCodeReferences, findCommitCandidates } from '../core/workspace/codeRefs';
import { fileNameOf, matchBySuffix } from '../core/workspace/resolve';
import { commitText, findCommits } from '../core/workspace/gitAm';
import { type GitRunner } from '../core/workspace/gitRunner';
import { showQuickPick, t, uiPlain } from '../util/ui';

export const COMMIT_SCHEME = 'imap-explorer-commit';
export const OPEN_CODE_REFERENCE = 'imapExplorer.openCodeReference';
export const SHOW_COMMIT = 'imapExplorer.showCommit';

const FIND_LIMIT = 200;
const CACHE_MS = 10000;
const MAX_LINKS = 500;
const MAX_NAMES = 50;

export type Resolution = { kind: 'file'; uri: vscode.Uri } | { kind: 'ambiguous'; uris: vscode.Uri[] };

/** A reference the host extracted and resolved, kept so a click can name it by key. */
export interface ResolvedReference {
  reference: CodeReference;
  resolution: Resolution;
}

/** Escapes a file name for a glob pattern ([ ] { } * ? ! match literally inside brackets). */
function globEscape(name: string): string {
  return name.replace(/[[\]{}*?!]/g, (c) => `[${c}]`);
}

export function isInsideWorkspace(uri: vscode.Uri): boolean {
  return vscode.workspace.getWorkspaceFolder(uri) !== undefined;
}

export class CodeLinkResolver {
  private readonly byName = new Map<string, { at: number; files: Promise<vscode.Uri[]> }>();
  /** Resolved references by key, for command links and the webview (bounded, oldest dropped). */
  private readonly registry = new Map<string, ResolvedReference>();
  private nextKey = 1;

  private files(name: string): Promise<vscode.Uri[]> {
    const cached = this.byName.get(name);
    if (cached && Date.now() - cached.at < CACHE_MS) {
      return cached.files;
    }
    const files = Promise.resolve(vscode.workspace.findFiles(`**/${globEscape(name)}`, undefined, FIND_LIMIT)).then((uris) => uris.filter(isInsideWorkspace), () => []);
    this.byName.set(name, { at: Date.now(), files });
    return files;
  }

  /** Resolves one reference against the workspace; undefined when no workspace file matches. */
  async resolve(reference: CodeReference): Promise<Resolution | undefined> {
    if (!vscode.workspace.workspaceFolders?.length) {
      return undefined;
    }
    const name = fileNameOf(reference.path);
    if (!name) {
      return undefined;
    }
    const files = await this.files(name);
    const { best } = matchBySuffix(reference.path, files.map((uri) => ({ path: vscode.workspace.asRelativePath(uri), item: uri })), reference.suffixHint);
    if (!best.length) {
      return undefined;
    }
    return best.length === 1 ? { kind: 'file', uri: best[0] } : { kind: 'ambiguous', uris: best };
  }

  /** Every reference in `text` that resolves, in order. */
  async resolveAll(text: string): Promise<ResolvedReference[]> {
    const references = findCodeReferences(text).slice(0, MAX_LINKS);
    const out: ResolvedReference[] = [];
    // one workspace search per file name, and a hostile mail naming thousands gets the first few
    const names = new Set<string>();
    for (const reference of references) {
      const name = fileNameOf(reference.path);
      if (!name || (!names.has(name) && names.size >= MAX_NAMES)) {
        continue;
      }
      names.add(name);
      const resolution = await this.resolve(reference);
      if (resolution) {
        out.push({ reference, resolution });
      }
    }
    return out;
  }

  remember(resolved: ResolvedReference): string {
    const key = `r${this.nextKey++}`;
    this.registry.set(key, resolved);
    if (this.registry.size > 5000) {
      this.registry.delete(this.registry.keys().next().value!);
    }
    return key;
  }

  /** Opens a remembered reference: at its line and column, asking first when it is ambiguous. */
  async open(key: unknown): Promise<void> {
    const resolved = typeof key === 'string' ? this.registry.get(key) : undefined;
    if (!resolved) {
      throw new MailError('NOT_FOUND', vscode.l10n.t('This link is no longer valid; open the message again.'));
    }
    await openReference(resolved);
  }
}

/** Opens the file at the reference's line and column; asks which file when several match. */
export async function openReference({ reference, resolution }: ResolvedReference): Promise<void> {
  let uri: vscode.Uri | undefined;
  if (resolution.kind === 'file') {
    uri = resolution.uri;
  } else {
    const picked = await showQuickPick(
      resolution.uris.map((u) => ({ label: uiPlain(vscode.workspace.asRelativePath(u), 300), uri: u })),
      { placeHolder: t('Several workspace files match this reference. Which one?') },
    );
    uri = picked?.uri;
  }
  if (!uri) {
    return;
  }
  if (!isInsideWorkspace(uri)) {
    throw new MailError('INVALID_INPUT', vscode.l10n.t('Only files inside the workspace can be opened from mail.'));
  }
  const line = Math.max(0, reference.line - 1);
  const column = Math.max(0, (reference.column ?? 1) - 1);
  const document = await vscode.workspace.openTextDocument(uri);
  const position = document.validatePosition(new vscode.Position(line, column));
  await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position), preview: true });
}

function commandUri(command: string, args: unknown[]): vscode.Uri {
  return vscode.Uri.parse(`command:${command}?${encodeURIComponent(JSON.stringify(args))}`);
}

function fragment(reference: CodeReference): string {
  return `L${reference.line}${reference.column ? `,${reference.column}` : ''}`;
}

/** Which commits of the repository the candidates name (core/workspace/gitAm.ts findCommits: one git run). */
export async function existingCommits(runner: GitRunner, hashes: string[]): Promise<Map<string, string>> {
  return findCommits(runner, hashes);
}

/** Document links for mail shown in editors: View Source and text attachments. */
export class MailDocumentLinks implements vscode.DocumentLinkProvider {
  constructor(
    private readonly resolver: CodeLinkResolver,
    private readonly git: () => Promise<GitRunner | undefined>,
  ) {}

  async provideDocumentLinks(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.DocumentLink[]> {
    const text = document.getText();
    const links: vscode.DocumentLink[] = [];
    for (const resolved of await this.resolver.resolveAll(text)) {
      if (token.isCancellationRequested) {
        return [];
      }
      const { reference, resolution } = resolved;
      const range = new vscode.Range(document.positionAt(reference.start), document.positionAt(reference.end));
      const target = resolution.kind === 'file' ? resolution.uri.with({ fragment: fragment(reference) }) : commandUri(OPEN_CODE_REFERENCE, [this.resolver.remember(resolved)]);
      const link = new vscode.DocumentLink(range, target);
      // a DocumentLink tooltip is plain text; it names a workspace file, never sender text
      // eslint-disable-next-line no-restricted-syntax
      link.tooltip = resolution.kind === 'file'
        ? vscode.l10n.t('Open {0}, line {1}', vscode.workspace.asRelativePath(resolution.uri), reference.line)
        : vscode.l10n.t('{0} workspace files match: choose one', resolution.uris.length);
      links.push(link);
    }
    const candidates = findCommitCandidates(text);
    if (candidates.length) {
      const host = await this.git().catch(() => undefined);
      const commits = host ? await existingCommits(host, candidates.map((c) => c.hash)).catch(() => new Map<string, string>()) : new Map<string, string>();
      for (const c of candidates) {
        const full = commits.get(c.hash);
        if (full) {
          const link = new vscode.DocumentLink(new vscode.Range(document.positionAt(c.start), document.positionAt(c.end)), commandUri(SHOW_COMMIT, [full]));
          // eslint-disable-next-line no-restricted-syntax
          link.tooltip = vscode.l10n.t('Show commit {0}', full.slice(0, 12));
          links.push(link);
        }
      }
    }
    return links;
  }
}

/** `git show` of a commit, as a read-only document (imap-explorer-commit:/<sha>.diff). */
export class CommitDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly git: () => Promise<GitRunner | undefined>) {}

  static uri(sha: string): vscode.Uri {
    return vscode.Uri.from({ scheme: COMMIT_SCHEME, path: `/${sha}.diff` });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const sha = /^\/([0-9a-f]{40}(?:[0-9a-f]{24})?)\.diff$/.exec(uri.path)?.[1];
    const runner = await this.git();
    if (!sha || !runner) {
      return vscode.l10n.t('This commit cannot be shown.');
    }
    try {
      return await commitText(runner, sha);
    } catch (err) {
      return vscode.l10n.t('This commit cannot be shown: {0}', err instanceof Error ? err.message : String(err));
    }
  }
}

export async function showCommit(sha: unknown): Promise<void> {
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(sha)) {
    throw new MailError('INVALID_INPUT', vscode.l10n.t('Not a commit.'));
  }
  const document = await vscode.workspace.openTextDocument(CommitDocuments.uri(sha));
  await vscode.window.showTextDocument(vscode.languages.setTextDocumentLanguage ? await vscode.languages.setTextDocumentLanguage(document, 'diff') : document, { preview: true });
}
