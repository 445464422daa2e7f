// Links to mail and mail shared out: "Copy Link to Message" (a vscode:// URI with the
// Message-ID), the URI handler that opens such a link (INBOX, All, Archive, then every folder,
// in every account; asks which account when several have it), "Open Message Link..." for a link
// pasted from a commit message, "Copy as Markdown" and "Open as New Issue" on the workspace's
// GitHub or GitLab remote (a browser page, no token).
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { textOf } from '../core/compose/original';
import { MailError, toMailError } from '../core/errors';
import { listFolders } from '../core/mail/folders';
import { loadImapMessage } from '../core/mail/messageLoader';
import { accountLabel } from '../core/account';
import { findMessageById, type FoundMessage, lookupOrder, messageLink, parseMessageLink } from '../core/workspace/messageLink';
import { forgeOf, messageAsMarkdown, newIssueUrl } from '../core/workspace/share';
import { type MessageRef } from '../tree/nodes';
import { type MailModel } from '../tree/model';
import { type Triage } from '../triage/triage';
import { type GitWorkspace } from './git';
import { setStatusBarMessage, showError, showInputBox, showQuickPick, showWarning, t, uiPlain, withProgress } from '../util/ui';

export interface MailLinkDeps {
  accounts: AccountStore;
  sessions: SessionPool;
  tree: MailModel;
  triage: Triage;
  /** Opens a message in the message view. */
  open(ref: MessageRef): Promise<void>;
  /** The publisher.name id the URI handler is registered under. */
  extensionId: string;
  log: vscode.LogOutputChannel;
  git: GitWorkspace;
}

export class MailLinks implements vscode.UriHandler {
  constructor(private readonly deps: MailLinkDeps) {}

  private async one(args: unknown[]): Promise<{ ref: MessageRef; messageId?: string; subject?: string }> {
    const sets = await this.deps.triage.targets(args);
    const all = sets.flatMap((set) => set.messages.map((m) => ({ set, m })));
    if (all.length !== 1) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('Select one message.'));
    }
    const { set, m } = all[0];
    return { ref: { accountId: set.account.id, path: set.path, uid: m.uid, ...(set.uidValidity ? { uidValidity: set.uidValidity } : {}) }, ...(m.messageId ? { messageId: m.messageId } : {}), ...(m.subject ? { subject: m.subject } : {}) };
  }

  /** The link for a message, or a clear error when it has no Message-ID. */
  linkFor(messageId: string | undefined): string {
    if (!messageId) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('This message has no Message-ID, so it cannot be linked to.'));
    }
    try {
      return messageLink(vscode.env.uriScheme, this.deps.extensionId, messageId);
    } catch (err) {
      throw new MailError('INVALID_INPUT', toMailError(err).message);
    }
  }

  async copyLink(args: unknown[]): Promise<void> {
    const { messageId } = await this.one(args);
    const link = this.linkFor(messageId);
    await vscode.env.clipboard.writeText(link);
    setStatusBarMessage(t('Link to the message copied.'), 4000);
  }

  /** vscode://<publisher.name>/message/<Message-ID> */
  async handleUri(uri: vscode.Uri): Promise<void> {
    try {
      await this.openLink(uri);
    } catch (err) {
      const message = toMailError(err).message;
      this.deps.log.error(`Message link: ${message}`);
      void showError(uiPlain(message, 400));
    }
  }

  /** "Open Message Link...": a link pasted from a commit message, an issue or a comment. */
  async openPastedLink(text?: unknown): Promise<void> {
    const value = typeof text === 'string' ? text : await showInputBox({
      prompt: t('Paste a link to a message (from "Copy Link to Message")'),
      placeHolder: uiPlain(`${vscode.env.uriScheme}://${this.deps.extensionId}/message/...`),
      ignoreFocusOut: true,
      validateInput: (v) => (this.parse(v) ? undefined : t('This is not a link to a message.')),
    });
    if (!value) {
      return;
    }
    const uri = this.parse(value);
    if (!uri) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('This is not a link to a message.'));
    }
    await this.openLink(uri);
  }

  private parse(text: string): vscode.Uri | undefined {
    try {
      const uri = vscode.Uri.parse(text.trim(), true);
      return uri.authority.toLowerCase() === this.deps.extensionId.toLowerCase() && parseMessageLink(uri.path) ? uri : undefined;
    } catch {
      return undefined;
    }
  }

  private async openLink(uri: vscode.Uri): Promise<void> {
    const link = parseMessageLink(uri.path);
    if (!link) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('This link does not name a message.'));
    }
    const accounts = this.deps.accounts.all();
    if (!accounts.length) {
      throw new MailError('NOT_FOUND', vscode.l10n.t('Add a mail account first.'));
    }
    const found = await withProgress({ title: t('Looking for the message...') }, async () => {
      const results: Array<{ accountId: string; found: FoundMessage }> = [];
      for (const account of accounts) {
        try {
          const session = this.deps.sessions.get(account.id);
          const folders = lookupOrder(await session.run((client) => listFolders(client), { idempotent: true }));
          const hit = await findMessageById(session, folders, link.messageId);
          if (hit) {
            results.push({ accountId: account.id, found: hit });
          }
        } catch (err) {
          this.deps.log.warn(`Message link: account ${account.id}: ${toMailError(err).message}`);
        }
      }
      return results;
    });
    if (!found.length) {
      void showWarning(t('No folder of your accounts has this message ({0}).', uiPlain(link.messageId, 120)));
      return;
    }
    let chosen = found[0];
    if (found.length > 1) {
      const picked = await showQuickPick(
        found.map((f) => {
          const account = this.deps.accounts.get(f.accountId);
          return { label: uiPlain(account ? accountLabel(account) : f.accountId), description: uiPlain(f.found.path), entry: f };
        }),
        { placeHolder: t('Several accounts have this message. Open it from which one?') },
      );
      if (!picked) {
        return;
      }
      chosen = picked.entry;
    }
    await this.deps.open({ accountId: chosen.accountId, path: chosen.found.path, uid: chosen.found.uid, uidValidity: chosen.found.uidValidity });
  }

  private async markdownOf(args: unknown[]): Promise<{ markdown: string; subject: string }> {
    const { ref, messageId } = await this.one(args);
    const summary = this.deps.tree.summaryOf(ref);
    const message = await this.deps.sessions.get(ref.accountId).withMailbox(ref.path, (client) => loadImapMessage(client, ref.uid, summary), { idempotent: true });
    let link: string | undefined;
    try {
      link = this.linkFor(messageId ?? message.messageId);
    } catch {
      link = undefined;
    }
    return { markdown: messageAsMarkdown({ ...message, text: textOf(message) }, link), subject: message.subject ?? '' };
  }

  async copyAsMarkdown(args: unknown[]): Promise<void> {
    const { markdown } = await this.markdownOf(args);
    await vscode.env.clipboard.writeText(markdown);
    setStatusBarMessage(t('The message was copied as Markdown.'), 4000);
  }

  async openAsIssue(args: unknown[]): Promise<void> {
    const repository = await this.deps.git.repository();
    const remotes = await repository.remotes();
    const remote = remotes.find((r) => r.name === 'upstream') ?? remotes.find((r) => r.name === 'origin') ?? remotes[0];
    const forge = remote ? forgeOf(remote.url) : undefined;
    if (!forge) {
      throw new MailError('NOT_FOUND', vscode.l10n.t('The workspace\'s repository has no GitHub or GitLab remote.'));
    }
    const { markdown, subject } = await this.markdownOf(args);
    const url = newIssueUrl(forge, subject.replace(/[\r\n]+/g, ' ').slice(0, 250), markdown);
    await vscode.env.openExternal(vscode.Uri.parse(url, true));
  }
}
