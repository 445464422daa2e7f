// Drives one message webview (a panel, or the .eml custom editor): loads a message through a
// MessageSource, renders the view model, and acts on the validated messages the webview sends.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Readable } from 'node:stream';
import * as vscode from 'vscode';
import { MailError, toMailError } from '../core/errors';
import { type LoadOptions, readStream } from '../core/mail/messageLoader';
import { checkSender, type SenderCheck } from '../core/authResults';
import { type LoadedResource } from '../core/render/css';
import { checkLink, deceptiveLink, type LinkRefusal } from '../core/render/links';
import { type RemoteFetchOptions } from '../core/render/remoteFetch';
import { type BodyInput, type BodyRendering } from '../core/render/body';
import { renderMessageBody } from '../core/render/renderMessage';
import { type CodeLinkSpan } from '../core/render/sanitize';
import { type BodyRenderer } from '../core/render/renderHost';
import { looksLikeText } from '../core/tempFiles';
import { plainLabel, safeFileName } from '../core/text';
import { buildViewModel, type LoadedMessage, type MessageViewModel } from '../core/render/viewModel';
import { errorMessage } from '../util/commands';
import { Disposable } from '../util/dispose';
import { showError, showInfo, showModal, showWarning, t, type UiText, uiJoin, uiPlain, uiVerbatim, withProgress } from '../util/ui';
import { userSetting } from '../accounts/userSettings';
import { shellHtml, type ShellResources } from './html';
import { rawMessageSource } from './rawSource';
import { attachedMessageState, type HostToView, isStale, type MessageAction, parseViewMessage, type ViewToHost } from './protocol';

const REFUSALS: Record<LinkRefusal, () => UiText> = {
  scheme: () => t('This link was not opened: only http, https and mailto links can be opened.'),
  userinfo: () => t('Link not opened: a user name in it hides its real host.'),
  ambiguous: () => t('Link not opened: it would open another host than it shows.'),
  invalid: () => t('This link was not opened: its address is not valid.'),
};

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
  /**
   * The message's Authentication-Results fields, top to bottom, and the IMAP host of the account
   * that received it (IMAP only: a file has no server that vouches for it).
   */
  authenticationResults?(): Promise<{ server: string; fields: string[] }>;
  /** After the message is on screen (marks it \Seen). */
  shown?(message: LoadedMessage): Promise<void>;
}

/** What the workspace feature adds to a message's body (src/workspace/viewLinks.ts). */
export interface MessageWorkspace {
  /** A patch mail's body document (commit message and coloured diff), or undefined. */
  patchDocument(message: LoadedMessage): string | undefined;
  /**
   * The body document of a patch that came as an attachment (commit message from the text, diff
   * from the attachment), or undefined. `read` returns at most `maxBytes` of attachment `part`.
   */
  attachedPatch(message: LoadedMessage, read: (part: string, maxBytes: number) => Promise<Buffer>): Promise<string | undefined>;
  /**
   * The body with its stack frames and commits linked, and how to open link N: a whole document
   * for a plain-text body; for an HTML body (its text nodes as the renderer collected them), the
   * ranges the renderer writes as links (BodyInput.codeLinks.links).
   */
  codeLinks(message: LoadedMessage, body: { kind: 'text' } | { kind: 'html'; texts: readonly string[] }): Promise<CodeLinks | undefined>;
}

/** Code links of a message body (MessageWorkspace.codeLinks). */
export type CodeLinks = ({ document: string } | { links: Array<[string, CodeLinkSpan[]]> }) & { open(index: number): Promise<void> };

export interface MessageViewDeps {
  log: vscode.LogOutputChannel;
  workspace?: MessageWorkspace;
  resources(webview: vscode.Webview): ShellResources;
  remote: RemoteContentPolicy;
  /** Renders bodies in the render worker, under its time budget. */
  renderer: BodyRenderer;
  tempRoot: () => Promise<string>;
}

/** Messages whose fetched remote content is kept in memory (reopening does not fetch again). */
const REMOTE_CACHE_MESSAGES = 20;

/**
 * Remote content is allowed per message (this session) or per sender (setting), and per sender
 * only for messages whose sender the account's own server verified (core/authResults.ts). What
 * was fetched for a message is kept for the session, so reopening it shows it again without a
 * new request (a tracking pixel does not fire twice) and says so in the bar.
 */
export class RemoteContentPolicy {
  private readonly allowedMessages = new Set<string>();
  private readonly blockedMessages = new Set<string>();
  private readonly fetched = new Map<string, Map<string, LoadedResource>>();

  /**
   * Why remote content is allowed for this message, if it is: the user's click for this message,
   * or a trusted sender whose message the account's server verified (`senderVerified`).
   */
  scope(key: string, sender: string, senderVerified: boolean): 'message' | 'sender' | undefined {
    if (this.blockedMessages.has(key)) {
      return undefined;
    }
    if (this.allowedMessages.has(key)) {
      return 'message';
    }
    return senderVerified && this.trustsSender(sender) ? 'sender' : undefined;
  }

  /** The sender is in imapExplorer.remoteContent.trustedSenders (user settings only). */
  trustsSender(sender: string): boolean {
    const trusted = userSetting<string[]>('remoteContent.trustedSenders', []);
    return Boolean(sender) && trusted.some((s) => s.trim().toLowerCase() === sender);
  }

  /** The authserv-ids of the server at `host` (imapExplorer.remoteContent.authservIds, user settings only). */
  authservIds(host: string): string[] {
    const map = userSetting<Record<string, unknown>>('remoteContent.authservIds', {});
    const ids = map[host.toLowerCase()];
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  }

  async learnAuthservId(host: string, id: string): Promise<void> {
    const config = vscode.workspace.getConfiguration('imapExplorer');
    const map = { ...userSetting<Record<string, string[]>>('remoteContent.authservIds', {}) };
    map[host.toLowerCase()] = [...new Set([...(map[host.toLowerCase()] ?? []), id.toLowerCase()])];
    await config.update('remoteContent.authservIds', map, vscode.ConfigurationTarget.Global);
  }

  allowMessage(key: string): void {
    this.blockedMessages.delete(key);
    this.allowedMessages.add(key);
  }

  /** "Block again": remote content of this message stays blocked this session, whoever sent it. */
  blockMessage(key: string): void {
    this.allowedMessages.delete(key);
    this.blockedMessages.add(key);
    this.fetched.delete(key);
  }

  /** Resources fetched for this message so far (kept for the session, most recent messages first). */
  resources(key: string): Map<string, LoadedResource> {
    let map = this.fetched.get(key);
    if (map) {
      this.fetched.delete(key);
    } else {
      map = new Map();
    }
    this.fetched.set(key, map);
    while (this.fetched.size > REMOTE_CACHE_MESSAGES) {
      this.fetched.delete(this.fetched.keys().next().value!);
    }
    return map;
  }

  /** How the host fetches remote content (imapExplorer.remoteContent.allowPrivateNetwork). */
  fetchOptions(): RemoteFetchOptions {
    return { allowPrivateNetwork: vscode.workspace.getConfiguration('imapExplorer').get<boolean>('remoteContent.allowPrivateNetwork', false) };
  }

  async allowSender(sender: string): Promise<void> {
    const config = vscode.workspace.getConfiguration('imapExplorer');
    const trusted = userSetting<string[]>('remoteContent.trustedSenders', []);
    if (!trusted.some((s) => s.toLowerCase() === sender)) {
      await config.update('remoteContent.trustedSenders', [...trusted, sender], vscode.ConfigurationTarget.Global);
    }
  }
}

/** Attached messages open in panels of this type (not restored after a reload: their bytes are gone). */
export const ATTACHED_MESSAGE_VIEW_TYPE = 'imapExplorer.attachedMessage';
const MAX_ATTACHED_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Hands a message from a message or conversation webview to `handle` once parseViewMessage()
 * accepted it (anything else is logged and dropped); a failure of the action is logged and shown
 * as an error, its text encoded for the notification.
 */
export async function dispatchViewMessage(raw: unknown, view: string, log: vscode.LogOutputChannel, handle: (message: ViewToHost) => Promise<void>): Promise<void> {
  const message = parseViewMessage(raw);
  if (!message) {
    log.warn(`${view} sent an invalid message; ignored.`);
    return;
  }
  try {
    await handle(message);
  } catch (err) {
    const text = uiPlain(errorMessage(err), 400);
    log.error(`${view} action ${message.type} failed: ${text}`);
    void showError(text);
  }
}

export class MessageView extends Disposable {
  private source: MessageSource | undefined;
  private loaded: LoadedMessage | undefined;
  private model: MessageViewModel | undefined;
  /** Whether the shown message's sender was verified by the account's server (asked only for trusted senders). */
  private senderCheck: SenderCheck | undefined;
  private ready = false;
  /** Renders started; only the latest one may show its result. */
  private renders = 0;
  private pending: HostToView[] = [];
  private generation = 0;
  private openCodeLink: ((index: number) => Promise<void>) | undefined;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly deps: MessageViewDeps,
    private readonly setTitle: (title: string) => void,
  ) {
    super();
    webview.options = { enableScripts: true, enableForms: false, enableCommandUris: false, localResourceRoots: deps.resources(webview).roots };
    this._register(webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)));
    this.webview.html = shellHtml(this.webview, this.deps.resources(this.webview));
  }

  get current(): MessageSource | undefined {
    return this.source;
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
    this.senderCheck = undefined;
    this.setTitle(source.title);
    this.post({ type: 'loading', title: source.title });
    try {
      const loaded = await source.load(options);
      if (generation !== this.generation) {
        return;
      }
      if (this.deps.remote.trustsSender(senderOf(loaded))) {
        const check = await this.checkSender(source, loaded);
        if (generation !== this.generation) {
          return;
        }
        this.senderCheck = check;
      }
      this.loaded = loaded;
      this.post({ type: 'loading', title: source.title, phase: 'rendering' });
      await this.render(generation);
      if (generation !== this.generation) {
        return;
      }
      await source.shown?.(loaded);
    } catch (err) {
      if (generation !== this.generation) {
        return;
      }
      const error = toMailError(err);
      this.deps.log.error(`Cannot show message ${source.title}: ${error.message}`);
      this.post({ type: 'error', title: vscode.l10n.t('This message cannot be shown'), message: error.message });
    }
  }

  /**
   * Renders the loaded message in the render worker and shows it. With remote content allowed,
   * what the rendering reports as remote is fetched by the host (no Referer, no cookie: see
   * remoteFetch.ts) and the body is rendered again with it (renderMessage.ts).
   */
  private async render(generation = this.generation): Promise<void> {
    const { source, loaded } = this;
    if (!source || !loaded) {
      return;
    }
    const sender = senderOf(loaded);
    const trusted = this.deps.remote.trustsSender(sender);
    const verified = trusted && this.senderCheck?.verified === true;
    const scope = this.deps.remote.scope(source.state, sender, verified);
    const token = ++this.renders;
    const stale = () => generation !== this.generation || token !== this.renders || source !== this.source;
    const started = Date.now();
    const rendering = await this.renderBody(source, loaded, scope, stale, this.deps.workspace ? { collectTexts: true } : undefined);
    if (stale()) {
      return;
    }
    this.deps.log.info(`Rendered ${plainLabel(source.title, 80)} in ${Date.now() - started} ms${rendering.fallback ? ` (${rendering.fallback}: shown as plain text)` : ''}`);
    this.model = buildViewModel(loaded, { origin: source.origin, ...(scope ? { remoteAllowed: scope } : {}) }, rendering);
    if (trusted && !verified && !scope) {
      this.model.remote.unverified = true;
    }
    this.openCodeLink = undefined;
    const patch = this.model.bodyKind === 'text' ? this.deps.workspace?.patchDocument(loaded) : undefined;
    if (patch) {
      this.model.document = patch;
    }
    this.setTitle(this.model.subject);
    this.post({ type: 'show', model: this.model, state: source.state });
    if (!patch && this.deps.workspace) {
      void this.addWorkspace(this.deps.workspace, source, loaded, rendering, scope, stale);
    }
  }

  /** Renders the body in the render worker (renderMessage.ts), with `codeLinks` for an HTML body. */
  private renderBody(source: MessageSource, loaded: LoadedMessage, scope: 'message' | 'sender' | undefined, stale: () => boolean, codeLinks?: BodyInput['codeLinks']): Promise<BodyRendering> {
    return renderMessageBody(loaded, {
      allowRemote: scope !== undefined,
      resources: scope ? this.deps.remote.resources(source.state) : new Map<string, LoadedResource>(),
      render: (input) => this.deps.renderer.render(input),
      fetch: this.deps.remote.fetchOptions(),
      onFetchFailed: (url, reason) => this.deps.log.info(`Remote content not loaded (${reason}): ${plainLabel(url, 300)}`),
      stale,
      ...(codeLinks ? { codeLinks } : {}),
    });
  }

  /**
   * Once what the workspace adds is known, shows the body again: a patch attachment's diff (under
   * a plain-text body), else the stack frames and commits of the body linked.
   */
  private async addWorkspace(workspace: MessageWorkspace, source: MessageSource, loaded: LoadedMessage, rendering: BodyRendering, scope: 'message' | 'sender' | undefined, stale: () => boolean): Promise<void> {
    const current = () => !stale() && this.loaded === loaded && this.model !== undefined;
    try {
      if (rendering.kind !== 'html') {
        const patch = await workspace.attachedPatch(loaded, (part, maxBytes) => this.attachmentBytes(source, part, maxBytes));
        if (patch !== undefined) {
          if (current()) {
            this.model = { ...this.model!, document: patch };
            this.post({ type: 'show', model: this.model, state: source.state });
          }
          return;
        }
      }
      if (rendering.kind === 'empty' || rendering.fallback) {
        return;
      }
      const linked = await workspace.codeLinks(loaded, rendering.kind === 'html' ? { kind: 'html', texts: rendering.texts ?? [] } : { kind: 'text' });
      if (!linked || !current()) {
        return;
      }
      let document: string;
      if ('document' in linked) {
        document = linked.document;
      } else {
        // the HTML body again, in the worker, with the ranges the host resolved written as links
        const again = await this.renderBody(source, loaded, scope, stale, { links: linked.links });
        if (!current() || again.fallback || again.kind !== 'html') {
          return;
        }
        document = again.document;
      }
      this.model = { ...this.model!, document };
      this.openCodeLink = linked.open;
      this.post({ type: 'show', model: this.model, state: source.state });
    } catch (err) {
      this.deps.log.warn(`Workspace links in the message view: ${errorMessage(err)}`);
    }
  }

  /** At most `maxBytes` of an attachment's decoded bytes. */
  private async attachmentBytes(source: MessageSource, part: string, maxBytes: number): Promise<Buffer> {
    const content = await source.attachment(part);
    if ('data' in content) {
      return content.data.subarray(0, maxBytes);
    }
    try {
      return await readStream(content.stream, maxBytes);
    } finally {
      content.release();
    }
  }

  private receive(raw: unknown): Promise<void> {
    return dispatchViewMessage(raw, 'Message view', this.deps.log, (message) => this.handle(message));
  }

  private async handle(message: ViewToHost): Promise<void> {
    if (isStale(message, this.source?.state)) {
      this.deps.log.info(`Message view: ${message.type} for a message no longer shown; ignored.`);
      return;
    }
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
        return confirmOpenLink(message);
      case 'loadRemote':
        return this.loadRemote(message.scope);
      case 'blockRemote':
        return this.blockRemote();
      case 'openAttachment':
        return this.openAttachment(message.id);
      case 'saveAttachment':
        return this.saveAttachment(message.id);
      case 'viewSource':
        return this.source?.viewSource?.();
      case 'openCodeLink':
        return this.openCodeLink?.(message.index);
      case 'showWhole':
        // only for a message a limit cut, once: the webview does not get to reload at will
        return this.source && this.model?.truncated ? this.show(this.source, { whole: true }) : undefined;
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

  private async loadRemote(scope: 'message' | 'sender'): Promise<void> {
    const { source, loaded } = this;
    if (!source || !loaded) {
      return;
    }
    const sender = senderOf(loaded);
    if (scope === 'sender' && sender) {
      await this.deps.remote.allowSender(sender);
      this.senderCheck = await this.checkSender(source, loaded, true);
      if (!this.senderCheck.verified) {
        // asked for by the user for this message; the sender's other mail waits for verification
        this.deps.remote.allowMessage(source.state);
        void showInfo(t('{0} is trusted for messages your mail server verifies as theirs. This one could not be verified; its remote content is loaded this once.', uiPlain(sender)));
      }
    } else {
      this.deps.remote.allowMessage(source.state);
    }
    await this.render();
  }

  private async blockRemote(): Promise<void> {
    if (!this.source || !this.loaded) {
      return;
    }
    this.deps.remote.blockMessage(this.source.state);
    await this.render();
  }

  /**
   * Asks the account's server (its Authentication-Results) whether the sender is who the From
   * says. With `learn`, a server whose authserv-id is not known yet is named to the user, who
   * can confirm it is theirs (remembered in imapExplorer.remoteContent.authservIds).
   */
  private async checkSender(source: MessageSource, loaded: LoadedMessage, learn = false): Promise<SenderCheck> {
    const sender = senderOf(loaded);
    if (!source.authenticationResults) {
      return { verified: false, reason: 'no-results', authservIds: [] };
    }
    let results;
    try {
      results = await source.authenticationResults();
    } catch (err) {
      this.deps.log.warn(`Cannot read Authentication-Results: ${errorMessage(err)}`);
      return { verified: false, reason: 'no-results', authservIds: [] };
    }
    const known = this.deps.remote.authservIds(results.server);
    const check = checkSender(results.fields, known, sender);
    const topmost = check.verified ? undefined : check.authservIds[0];
    if (!learn || check.verified || known.length || check.reason !== 'unknown-server' || !topmost) {
      return check;
    }
    const mine = t('Yes, {0} Is My Server', uiPlain(topmost, 100));
    const choice = await showModal(t('Is "{0}" your mail server ({1})?', uiPlain(topmost, 100), uiPlain(results.server, 200)), {
      detail: t('A sender is trusted only when your own mail server confirms (DKIM or DMARC) that a message really comes from them. This message says it was checked by "{0}". Confirm only if that is your provider\'s server: a sender can write this line into a message himself when your server does not.', uiPlain(topmost, 100)),
    }, mine);
    if (choice !== mine) {
      return check;
    }
    await this.deps.remote.learnAuthservId(results.server, topmost);
    return checkSender(results.fields, [topmost], sender);
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
      return this.openAttachedMessage(info.filename, attachedMessageState(source.state, id), await source.attachment(id));
    }
    const dir = await mkdtemp(join(await this.deps.tempRoot(), 'att-'));
    const file = join(dir, safeFileName(info.filename));
    await withProgress({ title: t('Opening {0}...', uiPlain(info.filename)) }, async () => {
      await this.writeAttachment(await source.attachment(id), file);
    });
    // never vscode.open: it picks the editor by extension, and a notebook (.ipynb) or a custom
    // editor renders what the sender wrote. Text goes to the plain text editor; the rest leaves
    // VS Code only after the user said so.
    if (looksLikeText(await readHead(file))) {
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'default', { preview: true });
      return;
    }
    const external = t('Open Outside VS Code');
    const choice = await showModal(t('Open {0} with the application your system uses for it?', uiPlain(info.filename)), {
      detail: t('It is not text ({0}), so VS Code cannot show it safely. The other application sees what the sender put in the file: open it only if you trust the sender.', uiPlain(info.contentType || 'application/octet-stream', 100)),
    }, external);
    if (choice === external) {
      await vscode.env.openExternal(vscode.Uri.file(file));
    }
  }

  /** An attached message (message/rfc822) opens in a message view of its own, like an .eml file. */
  private async openAttachedMessage(filename: string, state: string, content: AttachmentContent): Promise<void> {
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
    await view.show(rawMessageSource(title, state, async () => data));
  }

  private async saveAttachment(id: string): Promise<void> {
    const { info, source } = this.attachmentInfo(id);
    const downloads = join(homedir(), 'Downloads');
    await mkdir(downloads, { recursive: true }).catch(() => undefined);
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(join(downloads, safeFileName(info.filename))), saveLabel: vscode.l10n.t('Save Attachment') });
    if (!target) {
      return;
    }
    await withProgress({ title: t('Saving {0}...', uiPlain(info.filename)) }, async () => {
      await this.writeAttachment(await source.attachment(id), target.fsPath);
    });
    void showInfo(t('Saved {0}.', uiPlain(info.filename)));
  }
}

/**
 * Asks before opening a link, showing exactly what VS Code will open (links.ts). When the link's
 * text names another address, the safe choice ("Don't Open") is the dialog's default button, so
 * Enter does not open it (issue 16.4). The message view and the conversation view both use it.
 */
export async function confirmOpenLink(message: Extract<ViewToHost, { type: 'openLink' }>): Promise<void> {
  const check = checkLink(message.href);
  if (!check.ok) {
    void showWarning(REFUSALS[check.reason]());
    return;
  }
  const reason = message.hiddenText ? 'hidden-text' : (message.text !== undefined ? deceptiveLink(message.text, check.href) : undefined) ?? (message.deceptive ? 'other-host' : undefined);
  const lines: UiText[] = [t('It goes to:\n{0}', uiVerbatim(check.opens))];
  if (check.hostUnicode) {
    lines.push(t('Host: {0} (written in Unicode as {1})', uiVerbatim(check.host), uiVerbatim(check.hostUnicode)));
  }
  if (check.confusableHost) {
    lines.push(t('This address uses letters from another alphabet that look like Latin letters.'));
  }
  if (reason) {
    lines.unshift(reason === 'hidden-text'
      ? t('Careful: this link has text hidden from view, and may go somewhere else than it seems.')
      : reason === 'look-alike'
        ? t('Careful: the text of this link shows an address that only looks like the one it goes to.')
        : t('Careful: the text of this link shows a different address than the one it goes to.'));
  }
  const detail = uiJoin(lines, '\n\n');
  const title = t('Open this link from the message in your browser?');
  const copy = t('Copy Link');
  let choice: 'open' | 'copy' | undefined;
  if (reason) {
    // the first button is the default (Enter): here it is the safe one
    const dontOpen = t("Don't Open");
    const openAnyway = t('Open Anyway');
    const picked = await showModal(title, { detail }, dontOpen, openAnyway, copy);
    choice = picked === openAnyway ? 'open' : picked === copy ? 'copy' : undefined;
  } else {
    const open = t('Open Link');
    const picked = await showModal(title, { detail }, open, copy);
    choice = picked === open ? 'open' : picked === copy ? 'copy' : undefined;
  }
  if (choice === 'open') {
    await vscode.env.openExternal(vscode.Uri.parse(check.href, true));
  } else if (choice === 'copy') {
    await vscode.env.clipboard.writeText(check.opens);
  }
}

export function senderOf(loaded: LoadedMessage): string {
  return (loaded.from?.[0]?.address ?? '').trim().toLowerCase();
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
