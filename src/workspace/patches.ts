// Patches from mail into the workspace: "Apply to Workspace" (git am -3 on the raw bytes, the
// newest version of the series, in order, optionally on a new branch and with the review trailers)
// and "Open as Diff" (applied in memory to the workspace's files, shown in VS Code's diff editor).
// Workspace files are read through vscode.workspace.fs; git runs where the repository is (git.ts:
// a child process for a repository on this machine, a VS Code task for one on the remote).
import * as vscode from 'vscode';
import { type SessionPool } from '../accounts/sessions';
import { MailError } from '../core/errors';
import { HEADER_QUERY, type MessageSummary, toSummary } from '../core/mail/headers';
import { downloadPart, loadImapMessage, readStream } from '../core/mail/messageLoader';
import { abortAm, applyPatches, type ApplyResult, conflictedFiles } from '../core/workspace/gitAm';
import { applyFilePatch, isPatchPart, parseDiff, splitPatchBody } from '../core/workspace/patchMail';
import { type LoadedSeries, loadSeries } from '../core/workspace/seriesLoader';
import { seriesBranchName } from '../core/workspace/series';
import { type MailModel } from '../tree/model';
import { type Triage } from '../triage/triage';
import { type MessageSet } from '../triage/targets';
import { showError, showInfo, showModal, showQuickPick, showWarning, t, type UiText, uiJoin, uiPlain, withProgress } from '../util/ui';
import { type GitWorkspace, type WorkspaceRepository } from './git';

export const PATCHED_SCHEME = 'imap-explorer-patched';


export interface PatchDeps {
  sessions: SessionPool;
  tree: MailModel;
  triage: Triage;
  log: vscode.LogOutputChannel;
  git: GitWorkspace;
}

/** In-memory results of Open as Diff, served read-only by URI. */
export class PatchedDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private next = 1;

  put(name: string, text: string): vscode.Uri {
    const key = String(this.next++);
    this.texts.set(key, text);
    if (this.texts.size > 200) {
      this.texts.delete(this.texts.keys().next().value!);
    }
    return vscode.Uri.from({ scheme: PATCHED_SCHEME, path: `/${name.replace(/^\/+/, '')}`, query: `k=${key}` });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(new URLSearchParams(uri.query).get('k') ?? '') ?? '';
  }
}

async function oneMessage(triage: Triage, args: unknown[]): Promise<{ set: MessageSet; uid: number }> {
  const sets = await triage.targets(args);
  const all = sets.flatMap((set) => set.messages.map((m) => ({ set, uid: m.uid })));
  if (all.length !== 1) {
    throw new MailError('INVALID_INPUT', vscode.l10n.t('Select one patch message.'));
  }
  return all[0];
}

function describeParts(loaded: LoadedSeries): UiText {
  const count = loaded.parts.length;
  const title = uiPlain(loaded.title, 80);
  if (!loaded.series || loaded.series.total === 1) {
    return t('the patch "{0}"', title);
  }
  return t('{0} patches of "{1}" v{2}', count, title, loaded.series.version);
}

export class Patches {
  readonly documents = new PatchedDocuments();
  /** The repository of the last apply that stopped on a conflict, for Abort / Open Conflicts. */
  private stopped: WorkspaceRepository | undefined;

  constructor(private readonly deps: PatchDeps) {}

  private summaries(set: MessageSet): MessageSummary[] {
    return [...(this.deps.tree.folderMessages(set.account.id, set.path) ?? [])];
  }

  private async loadSeries(set: MessageSet, uid: number): Promise<LoadedSeries> {
    const known = this.summaries(set);
    return withProgress({ title: t('Fetching the patch series...') }, () =>
      this.deps.sessions.get(set.account.id).withMailbox(set.path, async (client) => {
        let summaries = known;
        if (!summaries.some((m) => m.uid === uid)) {
          const fetched = await client.fetchOne(String(uid), HEADER_QUERY, { uid: true });
          if (!fetched) {
            throw new MailError('NOT_FOUND', vscode.l10n.t('This message is no longer in the folder.'));
          }
          summaries = [...summaries, toSummary(fetched)];
        }
        return loadSeries(client, summaries, uid);
      }, { idempotent: true }),
    );
  }

  /** Apply to Workspace. */
  async apply(args: unknown[]): Promise<void> {
    const { set, uid } = await oneMessage(this.deps.triage, args);
    const repository = await this.deps.git.repository();
    const loaded = await this.loadSeries(set, uid);
    const branchNow = uiPlain(await repository.headName(), 80);
    const trailerCount = loaded.parts.reduce((n, p) => n + p.trailers.length, 0);
    const newBranch = seriesBranchName({ title: loaded.title, version: loaded.series?.version ?? 1 });
    const branchLabel = uiPlain(newBranch, 80);
    type Option = { label: UiText; detail?: UiText; branch: boolean; trailers: boolean };
    const options: Option[] = [
      { label: t('Apply on {0}', branchNow), branch: false, trailers: false },
      { label: t('Apply on a new branch: {0}', branchLabel), branch: true, trailers: false },
    ];
    if (trailerCount) {
      const names = uiPlain([...new Set(loaded.parts.flatMap((p) => p.trailers.map((tr) => `${tr.name}: ${tr.value}`)))].join(', '), 300);
      options.push(
        { label: t('Apply on {0}, with {1} review trailers', branchNow, trailerCount), detail: names, branch: false, trailers: true },
        { label: t('Apply on a new branch: {0}, with {1} review trailers', branchLabel, trailerCount), detail: names, branch: true, trailers: true },
      );
    }
    const notes: UiText[] = [];
    if (loaded.missing.length) {
      notes.push(t('Missing: part {0} of {1}.', uiPlain(loaded.missing.join(', ')), loaded.series?.total ?? 0));
    }
    if (loaded.pickedVersion !== undefined && loaded.series) {
      notes.push(t('v{0} is the newest version (you picked v{1}).', loaded.series.version, loaded.pickedVersion));
    }
    const repositoryName = uiPlain(repository.name);
    const chosen = await showQuickPick(options, {
      title: t('Apply {0} to {1} with git am -3', describeParts(loaded), repositoryName),
      placeHolder: uiJoin([...notes, t('How to apply?')], ' '),
      matchOnDetail: false,
      ignoreFocusOut: true,
    });
    if (!chosen) {
      return;
    }
    if (loaded.missing.length) {
      const go = t('Apply Anyway');
      const answer = await showModal(t('Part {0} of this series is missing.', uiPlain(loaded.missing.join(', '))), { detail: t('The present parts are applied in order; later parts may need the missing one.') }, go);
      if (answer !== go) {
        return;
      }
    }
    const result = await withProgress({ title: t('Applying {0} with git am...', describeParts(loaded)) }, () =>
      applyPatches(repository.runner, loaded.parts.map((p) => ({ label: p.label, raw: p.raw, trailers: p.trailers })), {
        ...(chosen.branch ? { branch: newBranch } : {}),
        addTrailers: chosen.trailers,
      }),
    );
    repository.refresh();
    await this.report(result, loaded, repository);
  }

  private async report(result: ApplyResult, loaded: LoadedSeries, repository: WorkspaceRepository): Promise<void> {
    this.deps.log.info(`git am: ${JSON.stringify({ ...result, ...(result.status === 'conflict' ? { message: result.message } : {}) })}`);
    if (result.status === 'refused') {
      throw new MailError('INVALID_INPUT', uiPlain(result.message, 400));
    }
    if (result.status === 'applied') {
      this.stopped = undefined;
      const show = t('Show in Source Control');
      const where = result.branch ? t('on the new branch {0}', uiPlain(result.branch)) : t('on {0}', uiPlain(await repository.headName()));
      if (result.trailersSkipped) {
        void showWarning(t('The review trailers were not added: {0}', uiPlain(result.trailersSkipped, 300)));
      }
      const choice = result.trailersAdded
        ? await showInfo(t('Applied {0} commits {1} with {2} review trailers.', result.commits.length, where, result.trailersAdded), show)
        : await showInfo(t('Applied {0} commits {1}.', result.commits.length, where), show);
      if (choice === show) {
        await vscode.commands.executeCommand('workbench.view.scm');
      }
      return;
    }
    this.stopped = repository;
    const failed = loaded.parts[result.failed];
    const total = loaded.parts.length;
    const position = total > 1 ? t('Patch {0} of {1}', result.failed + 1, total) : t('The patch');
    const appliedNote = result.applied ? t('Patches 1 to {0} are applied; {1} to {2} are not.', result.applied, result.failed + 1, total) : total > 1 ? t('No patch of the series is applied yet.') : undefined;
    const files = result.conflicts.length ? t('Conflicts in {0}.', uiPlain(result.conflicts.slice(0, 5).join(', '), 300)) : undefined;
    const abort = t('Abort');
    const open = t('Open Conflicts');
    const message = uiJoin([
      t('{0} ("{1}") did not apply.', position, uiPlain(failed?.label, 100)),
      files,
      appliedNote,
      t('The repository is in the middle of git am: resolve and run "git am --continue", or abort.'),
    ], ' ');
    const choice = await showError(message, ...(result.conflicts.length ? [open] : []), abort);
    if (choice === abort) {
      await this.abort();
    } else if (choice === open) {
      await this.openConflicts();
    }
  }

  private async current(): Promise<WorkspaceRepository> {
    return this.stopped ?? this.deps.git.repository();
  }

  /** git am --abort: back to where the repository was before the whole series. */
  async abort(): Promise<void> {
    const repository = await this.current();
    await abortAm(repository.runner);
    this.stopped = undefined;
    repository.refresh();
    void showInfo(t('git am was aborted: the repository is back where it was before the patches.'));
  }

  async openConflicts(): Promise<void> {
    const repository = await this.current();
    const files = await conflictedFiles(repository.runner);
    if (!files.length) {
      void showInfo(t('There are no files with conflicts.'));
      return;
    }
    for (const file of files.slice(0, 20)) {
      await vscode.window.showTextDocument(vscode.Uri.joinPath(repository.rootUri, file), { preview: false });
    }
  }

  /** The decoded diff of a patch message: its body, or its text/x-patch attachment. */
  private async patchText(set: MessageSet, uid: number): Promise<{ diff: string; subject: string }> {
    const summary = this.deps.tree.summaryOf({ accountId: set.account.id, path: set.path, uid });
    return this.deps.sessions.get(set.account.id).withMailbox(set.path, async (client) => {
      const message = await loadImapMessage(client, uid, summary);
      const body = splitPatchBody(message.text ?? '');
      if (body) {
        return { diff: body.diff, subject: message.subject ?? '' };
      }
      const attachment = message.attachments.find((a) => isPatchPart(a.contentType, a.filename));
      if (!attachment || attachment.size > 20 * 1024 * 1024) {
        throw new MailError('INVALID_INPUT', vscode.l10n.t('This message holds no diff.'));
      }
      const { content } = await downloadPart(client, uid, attachment.part);
      return { diff: (await readStream(content, 20 * 1024 * 1024)).toString('utf8'), subject: message.subject ?? '' };
    }, { idempotent: true });
  }

  /** Open as Diff: each file of the patch applied in memory, in VS Code's diff editor. */
  async openAsDiff(args: unknown[]): Promise<void> {
    const { set, uid } = await oneMessage(this.deps.triage, args);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const repositories = await this.deps.git.repositories();
    const root = repositories.length ? (await this.deps.git.repository()).rootUri : folder?.uri;
    if (!root) {
      throw new MailError('NOT_FOUND', vscode.l10n.t('Open the folder the patch is for first.'));
    }
    const { diff, subject } = await this.patchText(set, uid);
    const files = parseDiff(diff);
    const resources: Array<[vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined]> = [];
    const failures: UiText[] = [];
    for (const file of files) {
      const path = file.oldPath ?? file.newPath;
      if (!path || !file.patch.hunks.length) {
        continue;
      }
      const target = vscode.Uri.joinPath(root, path);
      let text = '';
      if (file.oldPath) {
        try {
          text = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
        } catch {
          failures.push(t('{0}: not in the workspace', uiPlain(path)));
          continue;
        }
      }
      const applied = applyFilePatch(text, file.patch);
      if (!applied.ok) {
        failures.push(t('{0}: hunk {1} ({2}) does not apply', uiPlain(path), applied.hunk, uiPlain(applied.header)));
        continue;
      }
      const left = file.oldPath ? target : this.documents.put(`${path} (new)`, '');
      const right = file.newPath ? this.documents.put(file.newPath, applied.text) : this.documents.put(`${path} (deleted)`, '');
      resources.push([vscode.Uri.joinPath(root, file.newPath ?? path), left, right]);
    }
    const title = uiPlain(`Patch: ${subject}`, 100);
    if (resources.length === 1) {
      await vscode.commands.executeCommand('vscode.diff', resources[0][1], resources[0][2], `${title} (${vscode.workspace.asRelativePath(resources[0][0], false)})`, { preview: true });
    } else if (resources.length > 1) {
      await vscode.commands.executeCommand('vscode.changes', title, resources);
    }
    if (failures.length) {
      void showWarning(t('Some files of the patch do not apply to the workspace: {0}', uiJoin(failures, '; ')));
    } else if (!resources.length) {
      void showInfo(t('The patch changes no text file.'));
    }
  }
}
