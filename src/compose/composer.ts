// Writing mail: new messages, replies, forwards and drafts continued from the Drafts folder open
// as draft files in an editor tab; Send, Save Draft (also to the account's Drafts folder),
// Discard and Attach act on them. A failed send leaves the draft open and intact.
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type AccountAuth } from '../accounts/signIn';
import { type SessionPool } from '../accounts/sessions';
import { type AccountConfig, serverSavesSentByDefault, suggestSmtp } from '../core/account';
import { expungeUids } from '../core/mail/actions';
import { formatAddressList, formatMailbox, normalizeAddress, parseAddressList } from '../core/compose/addresses';
import { buildMessage, newMessageId } from '../core/compose/build';
import { type DraftMeta, type DraftHeaders, parseDraft, renderDraft } from '../core/compose/draft';
import { loadOriginal, originalSource, textOf } from '../core/compose/original';
import { attribution, forwardedBlock, forwardSubject, quote, replyRecipients, replySubject, threadHeaders } from '../core/compose/reply';
import { saveDraftCopy, sendMessage } from '../core/compose/send';
import { type SmtpSettings } from '../core/compose/smtp';
import { isPatchPart, splitPatchBody } from '../core/workspace/patchMail';
import { quotePatch, reviewText, trimReview } from '../core/workspace/review';
import { MailError, toMailError } from '../core/errors';
import { type Logger } from '../core/log';
import { downloadPart, fetchSource, parseSource, readStream } from '../core/mail/messageLoader';
import { type PinStore } from '../core/tls';
import { plainLabel } from '../core/text';
import { type MessageRef } from '../tree/nodes';
import { type MailModel } from '../tree/model';
import { type Triage } from '../triage/triage';
import { type AddressBook } from './addressBook';
import { attachmentPath } from './attachPath';
import { asDraft } from './draftEditor';
import { type DraftStore } from './draftStore';
import { setStatusBarMessage, showInfo, showModal, showQuickPick, showWarning, t, uiPlain, withProgress } from '../util/ui';

export interface ComposerDeps {
  accounts: AccountStore;
  auth: AccountAuth;
  sessions: SessionPool;
  pins: PinStore;
  tree: MailModel;
  triage: Triage;
  drafts: DraftStore;
  addressBook: AddressBook;
  logger: Logger;
  log: vscode.LogOutputChannel;
}

function config<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration('imapExplorer').get<T>(key, fallback);
}

/** A patch attachment larger than this is not quoted in a review. */
const MAX_REVIEWED_ATTACHMENT_BYTES = 2 * 1024 * 1024;

export class Composer {
  constructor(private readonly deps: ComposerDeps) {}

  private fromLine(account: AccountConfig): string {
    return formatMailbox({ name: account.displayName ?? '', address: account.email });
  }

  private async open(meta: DraftMeta, headers: DraftHeaders, body: string, cursorAtEnd = false): Promise<vscode.TextEditor> {
    const uri = await this.deps.drafts.create(meta, renderDraft(headers, body), headers.subject);
    const document = await asDraft(await vscode.workspace.openTextDocument(uri));
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    // the cursor goes where one writes: the To line of a new message, the top of a reply's body
    const lines = document.getText().split('\n');
    const target = !headers.to ? 1 : lines.findIndex((l) => l.trim() === '') + 1;
    const line = Math.min(Math.max(0, target), document.lineCount - 1);
    const position = cursorAtEnd ? document.lineAt(line).range.end : new vscode.Position(line, document.lineAt(line).text.length);
    editor.selection = new vscode.Selection(position, position);
    void this.deps.triage.knownRoleFolder(meta.accountId, 'sent').then((sent) => this.deps.addressBook.loadSent(meta.accountId, sent)).catch(() => undefined);
    return editor;
  }

  private newMeta(account: AccountConfig, kind: DraftMeta['kind'], extra: Partial<DraftMeta> = {}, subject = ''): DraftMeta {
    const id = this.deps.drafts.newId(subject);
    return { id, accountId: account.id, kind, messageId: newMessageId(account.email, `${id}.${Date.now().toString(36)}`), created: new Date().toISOString(), ...extra };
  }

  private async pickAccount(arg: unknown): Promise<AccountConfig | undefined> {
    const all = this.deps.accounts.all();
    const id = (arg as { account?: AccountConfig } | undefined)?.account?.id;
    if (id) {
      return this.deps.accounts.get(id);
    }
    if (all.length <= 1) {
      return all[0];
    }
    const picked = await showQuickPick(all.map((a) => ({ label: uiPlain(a.email), account: a })), { placeHolder: t('Send from which account?') });
    return picked?.account;
  }

  async newMessage(arg?: unknown, attachments: string[] = []): Promise<void> {
    const account = await this.pickAccount(arg);
    if (!account) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('Add a mail account first.'));
    }
    await this.open(this.newMeta(account, 'new'), { from: this.fromLine(account), to: '', cc: '', bcc: '', subject: '', attach: attachments }, '\n');
  }

  private async oneMessage(args: unknown[]): Promise<{ ref: MessageRef; account: AccountConfig }> {
    const sets = await this.deps.triage.targets(args);
    const messages = sets.flatMap((s) => s.messages.map((m) => ({ set: s, m })));
    if (messages.length !== 1) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('Select one message to answer or forward.'));
    }
    const { set, m } = messages[0];
    return { account: set.account, ref: { accountId: set.account.id, path: set.path, uid: m.uid, ...(set.uidValidity ? { uidValidity: set.uidValidity } : {}) } };
  }

  async reply(args: unknown[], all: boolean): Promise<void> {
    const { ref, account } = await this.oneMessage(args);
    const original = await this.deps.sessions.get(account.id).withMailbox(ref.path, (client) => loadOriginal(client, ref.uid, this.deps.tree.summaryOf(ref)), { idempotent: true });
    const mine = [account.email, ...(account.addresses ?? [])];
    const { to, cc } = replyRecipients(original, mine, all);
    const thread = threadHeaders(original);
    const meta = this.newMeta(account, all ? 'replyAll' : 'reply', { ...thread, original: ref }, replySubject(original.subject));
    const body = `\n\n${attribution(original)}\n${quote(original.text)}\n`;
    this.deps.addressBook.add([{ from: original.from, to: original.to, cc: original.cc }]);
    await this.open(meta, { from: this.fromLine(account), to: formatAddressList(to), cc: formatAddressList(cc), bcc: '', subject: replySubject(original.subject), attach: [] }, body);
  }

  /**
   * Reply with review: a Reply All (the list and the other recipients in Cc, In-Reply-To and
   * References set) quoting the whole patch; the reviewer writes under the lines a comment is about.
   * On sending, only the commented hunks stay, with a few lines of context (trimReview).
   */
  async replyWithReview(args: unknown[]): Promise<void> {
    const { ref, account } = await this.oneMessage(args);
    const { original, attached } = await this.deps.sessions.get(account.id).withMailbox(ref.path, async (client) => {
      const loaded = await loadOriginal(client, ref.uid, this.deps.tree.summaryOf(ref));
      // git format-patch --attach: the diff to review is in the attachment
      const part = splitPatchBody(loaded.text ?? '') ? undefined : loaded.attachments.find((a) => isPatchPart(a.contentType, a.filename) && a.size <= MAX_REVIEWED_ATTACHMENT_BYTES);
      const bytes = part ? await readStream((await downloadPart(client, ref.uid, part.part)).content, MAX_REVIEWED_ATTACHMENT_BYTES) : undefined;
      return { original: loaded, attached: bytes?.toString('utf8') };
    }, { idempotent: true });
    const { to, cc } = replyRecipients(original, [account.email, ...(account.addresses ?? [])], true);
    const meta = this.newMeta(account, 'replyAll', { ...threadHeaders(original), original: ref, review: true }, replySubject(original.subject));
    const body = `\n\n${attribution(original)}\n${quotePatch(reviewText(original.text, attached))}\n`;
    this.deps.addressBook.add([{ from: original.from, to: original.to, cc: original.cc }]);
    await this.open(meta, { from: this.fromLine(account), to: formatAddressList(to), cc: formatAddressList(cc), bcc: '', subject: replySubject(original.subject), attach: [] }, body);
  }

  async forward(args: unknown[]): Promise<void> {
    const { ref, account } = await this.oneMessage(args);
    let mode = config<'inline' | 'attachment' | 'ask'>('compose.forwardAs', 'inline');
    if (mode === 'ask') {
      const choice = await showQuickPick([{ label: t('Inline'), mode: 'inline' as const }, { label: t('As Attachment'), mode: 'attachment' as const }], { placeHolder: t('Forward the message inline or as an attachment?') });
      if (!choice) {
        return;
      }
      mode = choice.mode;
    }
    const original = await this.deps.sessions.get(account.id).withMailbox(ref.path, (client) => loadOriginal(client, ref.uid, this.deps.tree.summaryOf(ref)), { idempotent: true });
    const meta = this.newMeta(account, 'forward', {
      original: ref,
      ...(mode === 'attachment' ? { forwardAsAttachment: true } : { originalParts: original.attachments.map((a) => ({ part: a.part, filename: a.filename, contentType: a.contentType, size: a.size })) }),
    }, forwardSubject(original.subject));
    const attach = mode === 'attachment' ? [`original (${plainLabel(original.subject, 60) || 'message'}.eml)`] : original.attachments.map((a) => `original:${a.part} (${a.filename})`);
    const body = mode === 'attachment' ? '\n' : `\n\n${forwardedBlock(original)}`;
    await this.open(meta, { from: this.fromLine(account), to: '', cc: '', bcc: '', subject: forwardSubject(original.subject), attach }, body);
  }

  /** Opens a message of the Drafts folder for editing; saving or sending replaces that copy. */
  async continueDraft(ref: MessageRef): Promise<void> {
    const account = this.deps.accounts.get(ref.accountId);
    if (!account) {
      return;
    }
    const { source } = await this.deps.sessions.bulk(account.id).withMailbox(ref.path, (client) => fetchSource(client, ref.uid, 20 * 1024 * 1024), { idempotent: true });
    const parsed = await parseSource(source);
    const messageId = parsed.messageId ?? newMessageId(account.email, `${Date.now().toString(36)}.${ref.uid}`);
    const meta = this.newMeta(account, 'new', { messageId, draftCopy: { path: ref.path, messageId } }, parsed.subject ?? '');
    const list = (a: typeof parsed.to) => formatAddressList((a ?? []).filter((m) => m.address).map((m) => ({ name: m.name ?? '', address: m.address! })));
    const from = list(parsed.from) || this.fromLine(account);
    await this.open(meta, { from, to: list(parsed.to), cc: list(parsed.cc), bcc: '', subject: parsed.subject ?? '', attach: [] }, parsed.text ?? textOf(parsed));
  }

  // ---- acting on an open draft ----

  private async draftOf(document: vscode.TextDocument | undefined): Promise<{ document: vscode.TextDocument; meta: DraftMeta }> {
    const doc = document ?? vscode.window.activeTextEditor?.document;
    const id = doc ? this.deps.drafts.idOf(doc.uri) : undefined;
    const meta = id ? await this.deps.drafts.meta(id) : undefined;
    if (!doc || !meta) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('This is not a mail draft.'));
    }
    return { document: doc, meta };
  }

  private accountFor(meta: DraftMeta, from: string): AccountConfig {
    const address = normalizeAddress(parseAddressList(from)[0]?.address);
    const all = this.deps.accounts.all();
    const owner = all.find((a) => [a.email, ...(a.addresses ?? [])].some((x) => normalizeAddress(x) === address)) ?? this.deps.accounts.get(meta.accountId);
    if (!owner) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('No account sends from {0}; pick one of your addresses on the From line.', plainLabel(from)));
    }
    return owner;
  }

  private async smtpSettings(account: AccountConfig): Promise<{ settings: SmtpSettings; serverSavesSent: boolean }> {
    const smtp = account.smtp;
    if (!smtp) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('The account {0} has no outgoing (SMTP) server yet: add it with Edit Account.', plainLabel(account.email)), { host: suggestSmtp(account.imap.host).host });
    }
    const credential = await this.deps.auth.smtpCredential(account);
    const pinned = account.pinnedCertificate && smtp.host === account.imap.host ? this.deps.pins.get(account.pinnedCertificate) : undefined;
    return {
      settings: { host: smtp.host, port: smtp.port, security: smtp.security, user: smtp.user || account.imap.user, ...credential, ...(pinned ? { pin: { sha256: account.pinnedCertificate!, pem: pinned } } : {}) },
      serverSavesSent: smtp.serverSavesSent ?? serverSavesSentByDefault(smtp.host),
    };
  }

  private async attachments(meta: DraftMeta, lines: string[], account: AccountConfig) {
    const out: Array<{ filename: string; path?: string; content?: Buffer; contentType?: string }> = [];
    const session = this.deps.sessions.bulk(account.id);
    for (const line of lines) {
      const originalPart = /^original:(\S+)/.exec(line);
      if (originalPart && meta.original) {
        const part = meta.originalParts?.find((p) => p.part === originalPart[1]);
        const ref = meta.original;
        const content = await session.withMailbox(ref.path, async (client) => readStream((await downloadPart(client, ref.uid, originalPart[1])).content), { idempotent: true });
        out.push({ filename: part?.filename ?? `part-${originalPart[1]}`, content, ...(part?.contentType ? { contentType: part.contentType } : {}) });
        continue;
      }
      if (/^original\b/.test(line) && meta.forwardAsAttachment && meta.original) {
        const ref = meta.original;
        const source = await session.withMailbox(ref.path, (client) => originalSource(client, ref.uid), { idempotent: true });
        const open = line.indexOf('(');
        const name = open >= 0 && line.endsWith(')') ? line.slice(open + 1, -1) : 'message.eml';
        out.push({ filename: name, content: source, contentType: 'message/rfc822' });
        continue;
      }
      const path = attachmentPath(line);
      try {
        if (!path || !(await stat(path)).isFile()) {
          throw new Error('not a file');
        }
      } catch {
        throw new MailError('INVALID_INPUT', vscode.l10n.t('The attachment {0} cannot be read; fix or remove its Attach line.', plainLabel(line)));
      }
      out.push({ filename: basename(path), path });
    }
    return out;
  }

  private async build(document: vscode.TextDocument, meta: DraftMeta, sending = false) {
    const parsed = parseDraft(document.getText());
    if (parsed.unknown.length) {
      throw new MailError('INVALID_INPUT', vscode.l10n.t('The header block has lines this draft cannot use: {0}. Leave one empty line between the headers and the message.', plainLabel(parsed.unknown.join(' | '), 200)));
    }
    const account = this.accountFor(meta, parsed.headers.from);
    const built = await buildMessage({
      headers: parsed.headers,
      // a review is trimmed to its commented hunks when it goes out; the saved draft keeps everything
      body: meta.review && sending ? trimReview(parsed.body) : parsed.body,
      messageId: meta.messageId,
      ...(meta.inReplyTo ? { inReplyTo: meta.inReplyTo } : {}),
      ...(meta.references ? { references: meta.references } : {}),
      html: config('compose.html', true),
      attachments: await this.attachments(meta, parsed.headers.attach, account),
    });
    return { built, account, parsed };
  }

  async send(document?: vscode.TextDocument): Promise<void> {
    const { document: doc, meta } = await this.draftOf(document);
    await doc.save();
    const { built, account } = await this.build(doc, meta, true);
    const { settings, serverSavesSent } = await this.smtpSettings(account);
    const sentFolder = serverSavesSent ? undefined : await this.deps.triage.roleFolder(account, 'sent');
    const draftsFolder = meta.draftCopy?.path;
    let report;
    try {
      report = await withProgress({ title: t('Sending "{0}"...', uiPlain(parseDraft(doc.getText()).headers.subject, 80) || t('(no subject)')) }, async () =>
      sendMessage({
        built,
        smtp: settings,
        imap: this.deps.sessions.get(account.id),
        ...(sentFolder ? { sentFolder } : {}),
        serverSavesSent,
        ...(meta.original ? { original: { ...meta.original, flag: meta.kind === 'forward' ? ('$Forwarded' as const) : ('\\Answered' as const) } } : {}),
        ...(draftsFolder ? { draftCopy: { path: draftsFolder, messageId: meta.draftCopy!.messageId } } : {}),
      }, this.deps.logger),
      );
    } catch (err) {
      const error = toMailError(err);
      if (error.code === 'SEND_UNCERTAIN') {
        // said in a dialog and never retried: a second attempt could deliver the message twice
        this.deps.log.warn(`Send of ${meta.id}: ${error.message}`);
        await showModal(uiPlain(error.message, 1000), {});
        return;
      }
      throw error;
    }
    await this.close(doc);
    await this.deps.drafts.remove(meta.id);
    if (meta.original) {
      this.deps.tree.setFlagsInModel(meta.original.accountId, meta.original.path, [meta.original.uid], [meta.kind === 'forward' ? '$Forwarded' : '\\Answered'], true);
    }
    if (sentFolder) {
      this.deps.tree.invalidateFolder(account.id, sentFolder);
    }
    if (draftsFolder) {
      this.deps.tree.invalidateFolder(account.id, draftsFolder);
    }
    this.deps.tree.refreshCounts(account.id);
    const who = uiPlain(built.recipients.join(', '), 120);
    void showInfo(t('Sent to {0}.', who));
    for (const warning of report.warnings) {
      void showWarning(uiPlain(warning, 1000));
    }
  }

  /** Saves the file, and a copy in the account's Drafts folder (replacing the previous one). */
  async saveDraft(document?: vscode.TextDocument): Promise<void> {
    const { document: doc, meta } = await this.draftOf(document);
    await doc.save();
    const { built, account } = await this.build(doc, meta);
    const folder = meta.draftCopy?.path ?? (await this.deps.triage.roleFolder(account, 'drafts'));
    if (!folder) {
      return;
    }
    const session = this.deps.sessions.get(account.id);
    await saveDraftCopy(session, folder, built.rawForSent, meta.messageId);
    await this.deps.drafts.saveMeta({ ...meta, draftCopy: { path: folder, messageId: meta.messageId } });
    this.deps.tree.invalidateFolder(account.id, folder);
    setStatusBarMessage(t('Draft saved in {0}.', this.deps.tree.folderName(account.id, folder)), 4000);
  }

  async discard(document?: vscode.TextDocument): Promise<void> {
    const { document: doc, meta } = await this.draftOf(document);
    const discard = t('Discard Draft');
    const choice = await showModal(t('Discard this draft?'), { detail: t('Its text is deleted, here and in the Drafts folder.') }, discard);
    if (choice !== discard) {
      return;
    }
    await this.close(doc, true);
    await this.deps.drafts.remove(meta.id);
    if (meta.draftCopy) {
      const copy = meta.draftCopy;
      const session = this.deps.sessions.get(meta.accountId);
      try {
        await session.withMailbox(copy.path, async (client) => {
          const uids = await client.search({ header: { 'message-id': copy.messageId } }, { uid: true });
          if (Array.isArray(uids) && uids.length) {
            await expungeUids({ client, refusal: () => session.takeRefusal() }, uids);
          }
        }, { idempotent: true });
      } catch (err) {
        this.deps.log.warn(`The draft copy in ${copy.path} could not be removed: ${toMailError(err).message}`);
      }
    }
  }

  async attach(document?: vscode.TextDocument, files?: vscode.Uri[]): Promise<void> {
    const { document: doc } = await this.draftOf(document);
    const picked = files ?? (await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: vscode.l10n.t('Attach') }));
    if (!picked?.length) {
      return;
    }
    const lines = doc.getText().replace(/\r\n/g, '\n').split('\n');
    const blank = lines.findIndex((l) => l.trim() === '');
    const header = blank < 0 ? lines.length : blank;
    const edit = new vscode.WorkspaceEdit();
    const added = picked.map((u) => `Attach: ${u.fsPath}`).join('\n');
    // the empty "Attach:" line of a new draft takes the first file
    const empty = lines.slice(0, header).findIndex((l) => /^Attach:\s*$/i.test(l));
    if (empty >= 0) {
      edit.replace(doc.uri, doc.lineAt(empty).range, added);
    } else {
      edit.insert(doc.uri, new vscode.Position(header, 0), `${added}\n`);
    }
    await vscode.workspace.applyEdit(edit);
    await doc.save();
  }

  /** Closes every tab showing the draft (saving first unless it is being discarded). */
  private async close(document: vscode.TextDocument, discarding = false): Promise<void> {
    if (!discarding && document.isDirty) {
      await document.save();
    }
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === document.uri.toString());
    if (discarding && document.isDirty) {
      // revert first so closing does not ask to save a draft the user chose to throw away
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await vscode.window.tabGroups.close(tabs);
  }

  /** At startup: drafts that were never sent or discarded are offered again. */
  async offerUnsent(): Promise<void> {
    const ids = await this.deps.drafts.list();
    // a tab VS Code restored after a reload may not have loaded its document yet: count tabs too
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => (t.input instanceof vscode.TabInputText ? t.input.uri : undefined));
    const open = new Set([...vscode.workspace.textDocuments.map((d) => d.uri), ...tabs].map((uri) => (uri ? this.deps.drafts.idOf(uri) : undefined)));
    const waiting = ids.filter((id) => !open.has(id));
    this.deps.log.info(`Unsent drafts: ${ids.length} on disk, ${waiting.length} not open`);
    if (!waiting.length) {
      return;
    }
    const show = t('Open Drafts');
    const choice = await showInfo(waiting.length === 1 ? t('You have an unsent draft.') : t('You have {0} unsent drafts.', waiting.length), show);
    if (choice === show) {
      for (const id of waiting) {
        await vscode.window.showTextDocument(await asDraft(await vscode.workspace.openTextDocument(await this.deps.drafts.uriFor(id))), { preview: false });
      }
    }
  }
}

