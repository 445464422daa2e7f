// Drives one message webview (a panel, or the .eml custom editor): loads a message through a
// MessageSource, renders the view model, and acts on the validated messages the webview sends.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Readable } from 'node:stream';
import * as vscode from 'vscode';
import { MailError, toMailError } from '../core/errors';
import { type LoadOptions, readStream } from '../core/mail/messageLoader';
import { safeLinkTarget } from '../core/render/sanitize';
import { plainLabel, safeFileName } from '../core/text';
import { buildViewModel, type LoadedMessage, type MessageViewModel } from '../core/render/viewModel';
import { errorMessage } from '../util/commands';
import { Disposable } from '../util/dispose';
import { shellHtml, type ShellResources } from './html';
import { rawMessageSource } from './rawSource';
import { type HostToView, type MessageAction, parseViewMessage, type ViewToHost } from './protocol';

export type AttachmentContent = { data: Buffer } | { stream: Readable; size?: number; release(): void };

export interface MessageSource {
  /** Tab title while loading. */
  readonly title: string;
  /** Opaque state for the panel serializer (validated again when restored). */
  readonly state: string;
  readonly origin: 'imap' | 'file';
  /** Loads the message; `options.whole` lifts the display limits ("Show the whole message"). */
  load(options?: LoadOptions): Promise<LoadedMessage>;
  attachment(id: string): Promise<AttachmentContent>;
  viewSource?(): Promise<void>;
  /** A toolbar action on this message (IMAP only). */
  runAction?(action: MessageAction): Promise<void>;
  /** After the message is on screen (marks it \Seen). */
  shown?(message: LoadedMessage): Promise<void>;
}

export interface MessageViewDeps {
  log: vscode.LogOutputChannel;
  resources(webview: vscode.Webview): ShellResources;
  remote: RemoteContentPolicy;
  tempRoot: () => Promise<string>;
}

/** Remote content is allowed per message (this session) or per sender (setting). */
export class RemoteContentPolicy {
  private readonly allowedMessages = new Set<string>();

  allowed(key: string, sender: string): boolean {
    if (this.allowedMessages.has(key)) {
      return true;
    }
    const trusted = vscode.workspace.getConfiguration('imapExplorer').get<string[]>('remoteContent.trustedSenders', []);
    return Boolean(sender) && trusted.some((s) => s.trim().toLowerCase() === sender);
  }

  allowMessage(key: string): void {
    this.allowedMessages.add(key);
  }

  async allowSender(sender: string): Promise<void> {
    const config = vscode.workspace.getConfiguration('imapExplorer');
    const trusted = config.get<string[]>('remoteContent.trustedSenders', []);
    if (!trusted.some((s) => s.toLowerCase() === sender)) {
      await config.update('remoteContent.trustedSenders', [...trusted, sender], vscode.ConfigurationTarget.Global);
    }
  }
}

/** Attached messages open in panels of this type (not restored after a reload: their bytes are gone). */
export const ATTACHED_MESSAGE_VIEW_TYPE = 'imapExplorer.attachedMessage';
const MAX_ATTACHED_MESSAGE_BYTES = 64 * 1024 * 1024;

export class MessageView extends Disposable {
  private source: MessageSource | undefined;
  private loaded: LoadedMessage | undefined;
  private model: MessageViewModel | undefined;
  private cspRemote: boolean | undefined;
  private ready = false;
  private pending: HostToView[] = [];
  private generation = 0;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly deps: MessageViewDeps,
    private readonly setTitle: (title: string) => void,
  ) {
    super();
    webview.options = { enableScripts: true, enableForms: false, enableCommandUris: false, localResourceRoots: deps.resources(webview).roots };
    this._register(webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)));
    this.setShell(false);
  }

  get current(): MessageSource | undefined {
    return this.source;
  }

  private setShell(allowRemote: boolean): void {
    if (this.cspRemote === allowRemote) {
      return;
    }
    this.cspRemote = allowRemote;
    this.ready = false;
    this.webview.html = shellHtml(this.webview, this.deps.resources(this.webview), allowRemote);
  }

  private post(message: HostToView): void {
    if (!this.ready) {
      // a new message replaces whatever was queued for the old one
      this.pending = message.type === 'show' || message.type === 'loading' || message.type === 'error' ? [message] : [...this.pending, message];
      return;
    }
    void this.webview.postMessage(message);
  }

  async show(source: MessageSource, options: LoadOptions = {}): Promise<void> {
    const generation = ++this.generation;
    this.source = source;
    this.loaded = undefined;
    this.model = undefined;
    this.setTitle(source.title);
    this.post({ type: 'loading', title: source.title });
    try {
      const loaded = await source.load(options);
      if (generation !== this.generation) {
        return;
      }
      this.loaded = loaded;
      this.render();
      await source.shown?.(loaded);
    } catch (err) {
      if (generation !== this.generation) {
        return;
      }
      const error = toMailError(err);
      this.deps.log.error(`Cannot show message ${source.title}: ${error.message}`);
      this.setShell(false);
      this.post({ type: 'error', title: vscode.l10n.t('This message cannot be shown'), message: error.message });
    }
  }

  private render(): void {
    const { source, loaded } = this;
    if (!source || !loaded) {
      return;
    }
    const sender = (loaded.from?.[0]?.address ?? '').trim().toLowerCase();
    const allowRemote = this.deps.remote.allowed(source.state, sender);
    this.model = buildViewModel(loaded, { allowRemote, origin: source.origin });
    this.setTitle(this.model.subject);
    this.setShell(allowRemote);
    this.post({ type: 'show', model: this.model, state: source.state });
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseViewMessage(raw);
    if (!message) {
      this.deps.log.warn('Message view sent an invalid message; ignored.');
      return;
    }
    try {
      await this.handle(message);
    } catch (err) {
      const text = plainLabel(errorMessage(err), 400);
      this.deps.log.error(`Message view action ${message.type} failed: ${text}`);
      void vscode.window.showErrorMessage(text);
    }
  }

  private async handle(message: ViewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.pending.length) {
          const pending = this.pending;
          this.pending = [];
          pending.forEach((m) => void this.webview.postMessage(m));
        } else if (this.model && this.source) {
          void this.webview.postMessage({ type: 'show', model: this.model, state: this.source.state } satisfies HostToView);
        }
        return;
      case 'openLink':
        return this.openLink(message.href, message.deceptive);
      case 'loadRemote':
        return this.loadRemote(message.scope);
      case 'openAttachment':
        return this.openAttachment(message.id);
      case 'saveAttachment':
        return this.saveAttachment(message.id);
      case 'viewSource':
        return this.source?.viewSource?.();
      case 'showWhole':
        return this.source ? this.show(this.source, { whole: true }) : undefined;
      case 'action':
        return this.source?.runAction?.(message.action);
    }
  }

  /** The message as loaded (flags, Message-ID) for commands run from the palette. */
  get message(): LoadedMessage | undefined {
    return this.loaded;
  }

  /** Shows new flags in the toolbar (changed from the tree, the toolbar or another client). */
  updateFlags(flags: string[]): void {
    if (this.loaded) {
      this.loaded.flags = [...flags];
      const lower = new Set(flags.map((f) => f.toLowerCase()));
      this.post({ type: 'flags', flagged: lower.has('\\flagged'), seen: lower.has('\\seen') });
    }
  }

  /** A bar above the body: "Moved to Archive", "Deleted by another client". */
  notice(text: string): void {
    this.post({ type: 'notice', text });
  }

  private async openLink(href: string, deceptive: boolean): Promise<void> {
    const target = safeLinkTarget(href);
    if (!target) {
      void vscode.window.showWarningMessage(vscode.l10n.t('This link was not opened: only http, https and mailto links can be opened.'));
      return;
    }
    const open = vscode.l10n.t('Open Link');
    const copy = vscode.l10n.t('Copy Link');
    const detail = deceptive
      ? vscode.l10n.t('Careful: the text of this link shows a different address than the one it goes to.\n\nIt goes to:\n{0}', target)
      : vscode.l10n.t('It goes to:\n{0}', target);
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Open this link from the message in your browser?'), { modal: true, detail }, open, copy);
    if (choice === open) {
      await vscode.env.openExternal(vscode.Uri.parse(target, true));
    } else if (choice === copy) {
      await vscode.env.clipboard.writeText(target);
    }
  }

  private async loadRemote(scope: 'message' | 'sender'): Promise<void> {
    const { source, loaded } = this;
    if (!source || !loaded) {
      return;
    }
    const sender = (loaded.from?.[0]?.address ?? '').trim().toLowerCase();
    if (scope === 'sender' && sender) {
      await this.deps.remote.allowSender(sender);
    } else {
      this.deps.remote.allowMessage(source.state);
    }
    this.render();
  }

  private attachmentInfo(id: string) {
    const calendar = this.model?.calendar;
    const info = this.model?.attachments.find((a) => a.id === id) ?? (calendar && calendar.id === id ? { id, filename: calendar.filename, contentType: 'text/calendar', message: false } : undefined);
    if (!info || !this.source) {
      throw new MailError('NOT_FOUND', vscode.l10n.t('This attachment is not part of the message shown.'));
    }
    return { info, source: this.source };
  }

  private async writeAttachment(content: AttachmentContent, file: string): Promise<void> {
    if ('data' in content) {
      await writeFile(file, content.data);
      return;
    }
    try {
      await pipeline(content.stream, createWriteStream(file));
    } finally {
      content.release();
    }
  }

  private async openAttachment(id: string): Promise<void> {
    const { info, source } = this.attachmentInfo(id);
    if (info.message) {
      return this.openAttachedMessage(info.filename, await source.attachment(id));
    }
    const dir = await mkdtemp(join(await this.deps.tempRoot(), 'att-'));
    const file = join(dir, safeFileName(info.filename));
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Opening {0}...', info.filename) }, async () => {
      await this.writeAttachment(await source.attachment(id), file);
    });
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { preview: true });
  }

  /** An attached message (message/rfc822) opens in a message view of its own, like an .eml file. */
  private async openAttachedMessage(filename: string, content: AttachmentContent): Promise<void> {
    let data: Buffer;
    if ('data' in content) {
      data = content.data;
    } else {
      try {
        data = await readStream(content.stream, MAX_ATTACHED_MESSAGE_BYTES);
      } finally {
        content.release();
      }
    }
    const title = filename.replace(/\.eml$/i, '') || vscode.l10n.t('Attached message');
    const panel = vscode.window.createWebviewPanel(ATTACHED_MESSAGE_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active }, { enableScripts: true, enableForms: false, enableCommandUris: false });
    const view = new MessageView(panel.webview, this.deps, (t) => (panel.title = t));
    panel.onDidDispose(() => view.dispose());
    await view.show(rawMessageSource(title, `attached:${filename}`, async () => data));
  }

  private async saveAttachment(id: string): Promise<void> {
    const { info, source } = this.attachmentInfo(id);
    const downloads = join(homedir(), 'Downloads');
    await mkdir(downloads, { recursive: true }).catch(() => undefined);
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(join(downloads, safeFileName(info.filename))), saveLabel: vscode.l10n.t('Save Attachment') });
    if (!target) {
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Saving {0}...', info.filename) }, async () => {
      await this.writeAttachment(await source.attachment(id), target.fsPath);
    });
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}.', info.filename));
  }
}

/** Attachments opened in this window go to a private folder that is removed on deactivation. */
export function tempRootPath(): string {
  return join(tmpdir(), `imap-explorer-${process.pid}`);
}

export async function sessionTempRoot(): Promise<string> {
  const root = tempRootPath();
  await mkdir(root, { recursive: true, mode: 0o700 });
  return root;
}
