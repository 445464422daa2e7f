// Message panels: one reused preview panel (like VS Code's preview tabs) and any number of
// panels opened "in a new tab". Panels survive a window reload through the serializer.
import * as vscode from 'vscode';
import { type AccountStore } from '../accounts/accountStore';
import { type SessionPool } from '../accounts/sessions';
import { MailError } from '../core/errors';
import { flattenFolders, listFolders } from '../core/mail/folders';
import { downloadPart, loadImapMessage } from '../core/mail/messageLoader';
import { plainLabel } from '../core/text';
import { headerValues } from '../core/authResults';
import { type MessageRef } from '../tree/nodes';
import { type MailModel } from '../tree/model';
import { Disposable } from '../util/dispose';
import { type MessageSource, MessageView, type MessageViewDeps } from './messageView';
import { type MessageAction, MAX_CONVERSATION_MESSAGES } from './protocol';
import { CONVERSATION_VIEW_TYPE, ConversationView } from './conversationView';
import { sourceUri } from '../source/sourceProvider';

export const MESSAGE_VIEW_TYPE = 'imapExplorer.message';

const ACTION_COMMANDS: Record<MessageAction, string> = {
  reply: 'imapExplorer.reply',
  replyAll: 'imapExplorer.replyAll',
  forward: 'imapExplorer.forward',
  toggleFlag: 'imapExplorer.toggleFlag',
  toggleRead: 'imapExplorer.toggleRead',
  archive: 'imapExplorer.archive',
  junk: 'imapExplorer.markJunk',
  delete: 'imapExplorer.delete',
  moveTo: 'imapExplorer.moveTo',
  copyTo: 'imapExplorer.copyTo',
  addKeyword: 'imapExplorer.addKeyword',
};

/** The longest Message-ID kept in a tab's state (a header line's limit, RFC 5322 2.1.1). */
const MAX_MESSAGE_ID = 998;

export function encodeRef(ref: MessageRef): string {
  const m = ref.messageId && ref.messageId.length <= MAX_MESSAGE_ID ? ref.messageId : null;
  return JSON.stringify({ a: ref.accountId, p: ref.path, u: ref.uid, v: ref.uidValidity ?? null, ...(m ? { m } : {}) });
}

export function decodeRef(state: unknown): MessageRef | undefined {
  if (typeof state !== 'string' || state.length > 4000) {
    return undefined;
  }
  try {
    const o = JSON.parse(state) as Record<string, unknown>;
    if (typeof o.a !== 'string' || typeof o.p !== 'string' || !Number.isInteger(o.u) || (o.u as number) <= 0) {
      return undefined;
    }
    return {
      accountId: o.a,
      path: o.p,
      uid: o.u as number,
      ...(typeof o.v === 'string' ? { uidValidity: o.v } : {}),
      ...(typeof o.m === 'string' && o.m.length <= MAX_MESSAGE_ID ? { messageId: o.m } : {}),
    };
  } catch {
    return undefined;
  }
}

/** How many other folders a restored tab looks in for its message (by Message-ID). */
const MAX_FOLDERS_SEARCHED = 50;

/** Where the tabs' messages are remembered (by tab title), for a tab whose webview state was not kept. */
const SHOWN_KEY = 'imapExplorer.messageTabs';
const SHOWN_MAX = 50;
/** The conversation of each conversation tab (by title): [title, subject, folder path, encoded refs, messages left out]. */
const CONVERSATIONS_KEY = 'imapExplorer.conversationTabs';
const CONVERSATIONS_MAX = 20;
type RememberedConversation = [title: string, subject: string, path: string, refs: string[], omitted: number];

function sameMessage(a: MessageRef | undefined, b: MessageRef): boolean {
  return Boolean(a) && a!.accountId === b.accountId && a!.path === b.path && a!.uid === b.uid && (!a!.uidValidity || !b.uidValidity || a!.uidValidity === b.uidValidity);
}

export class MessagePanels extends Disposable implements vscode.WebviewPanelSerializer {
  private preview: { panel: vscode.WebviewPanel; view: MessageView } | undefined;

  constructor(
    private readonly accounts: AccountStore,
    private readonly sessions: SessionPool,
    private readonly tree: MailModel,
    private readonly deps: MessageViewDeps,
    private readonly icon: vscode.Uri,
    /** The workspace's memento: the message of each tab title, newest first. */
    private readonly tabs?: vscode.Memento,
  ) {
    super();
    this._register(vscode.window.registerWebviewPanelSerializer(MESSAGE_VIEW_TYPE, this));
    this._register(vscode.window.registerWebviewPanelSerializer(CONVERSATION_VIEW_TYPE, { deserializeWebviewPanel: (panel) => this.restoreConversation(panel) }));
  }

  private imapSource(ref: MessageRef): MessageSource {
    const account = this.accounts.get(ref.accountId);
    if (!account) {
      throw new MailError('NOT_FOUND', vscode.l10n.t('The account of this message no longer exists.'));
    }
    const session = () => this.sessions.get(ref.accountId);
    const summary = this.tree.summaryOf(ref);
    return {
      title: plainLabel(summary?.subject, 80) || vscode.l10n.t('Message'),
      state: encodeRef(summary?.messageId && !ref.messageId ? { ...ref, messageId: summary.messageId } : ref),
      origin: 'imap',
      load: (options) =>
        session().withMailbox(ref.path, async (client, mailbox) => {
          if (ref.uidValidity && String(mailbox.uidValidity) !== ref.uidValidity) {
            throw new MailError('NOT_FOUND', vscode.l10n.t('The folder was reset by the server since this message was listed; refresh it.'));
          }
          return loadImapMessage(client, ref.uid, this.tree.summaryOf(ref), options);
        }, { idempotent: true }),
      attachment: async (id) => {
        // on the account's second connection: reading other mail goes on meanwhile
        const lock = await this.sessions.bulk(ref.accountId).lockMailbox(ref.path);
        let held = true;
        const release = () => {
          if (held) {
            held = false;
            lock.release();
          }
        };
        try {
          const { content, size } = await downloadPart(lock.client, ref.uid, id);
          content.once('close', release);
          return { stream: content, size, release };
        } catch (err) {
          release();
          throw err;
        }
      },
      authenticationResults: () =>
        session().withMailbox(ref.path, async (client) => {
          const fetched = await client.fetchOne(String(ref.uid), { uid: true, headers: ['authentication-results'] }, { uid: true });
          return { server: account.imap.host, fields: headerValues(fetched ? fetched.headers?.toString('utf8') ?? '' : '', 'authentication-results') };
        }, { idempotent: true }),
      runAction: async (action) => {
        const command = ACTION_COMMANDS[action];
        await vscode.commands.executeCommand(command, ref);
      },
      viewSource: async () => {
        // 'default': the text editor, not our own .eml message view
        await vscode.commands.executeCommand('vscode.openWith', sourceUri(ref), 'default', { preview: true });
      },
      shown: async (message) => {
        const markRead = vscode.workspace.getConfiguration('imapExplorer').get<boolean>('markAsReadOnOpen', true);
        if (!markRead || message.flags.some((f) => f.toLowerCase() === '\\seen')) {
          return;
        }
        await session().withMailbox(ref.path, (client) => client.messageFlagsAdd(String(ref.uid), ['\\Seen'], { uid: true }), { idempotent: true });
        message.flags.push('\\Seen');
        this.tree.applyFlag(ref, '\\Seen', true);
      },
    };
  }

  private createPanel(title: string, preserveFocus: boolean): vscode.WebviewPanel {
    return vscode.window.createWebviewPanel(MESSAGE_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus }, {
      enableScripts: true,
      enableForms: false,
      enableCommandUris: false,
      retainContextWhenHidden: false,
    });
  }

  private attach(panel: vscode.WebviewPanel): MessageView {
    panel.iconPath = this.icon;
    const view = new MessageView(panel.webview, this.deps, (title) => (panel.title = title));
    const entry = { panel, view };
    this.panels.add(entry);
    panel.onDidDispose(() => {
      this.panels.delete(entry);
      view.dispose();
      if (this.preview?.panel === panel) {
        this.preview = undefined;
      }
    });
    return view;
  }

  private draftOpener: ((ref: MessageRef) => Promise<boolean>) | undefined;

  /** Messages of the Drafts folder open for editing instead of reading. */
  setDraftOpener(opener: (ref: MessageRef) => Promise<boolean>): void {
    this.draftOpener = opener;
  }

  async open(ref: MessageRef, options: { newTab?: boolean; preserveFocus?: boolean } = {}): Promise<void> {
    if (this.draftOpener && (await this.draftOpener(ref))) {
      return;
    }
    const source = this.imapSource(ref);
    // a tab that shows the message already (a restored one too) is the one it opens in, as editors do
    const open = [...this.panels].find((e) => sameMessage(decodeRef(e.view.current?.state), ref));
    if (open) {
      open.panel.reveal(undefined, options.preserveFocus ?? !options.newTab);
      return;
    }
    if (!options.newTab && this.preview) {
      this.preview.panel.reveal(undefined, options.preserveFocus ?? true);
      await this.preview.view.show(source);
      this.remember(this.preview.panel, source);
      return;
    }
    const panel = this.createPanel(source.title, options.preserveFocus ?? !options.newTab);
    const view = this.attach(panel);
    if (!options.newTab) {
      this.preview = { panel, view };
    }
    await view.show(source);
    this.remember(panel, source);
  }

  /**
   * Remembers which message a tab (by its title) shows. VS Code restores a tab with the state its
   * webview last saved, but a tab restored soon after it changed messages can come back without
   * one (seen in code-server): the serializer then finds the message here.
   */
  private remember(panel: vscode.WebviewPanel, source: MessageSource): void {
    if (!this.tabs || source.origin !== 'imap') {
      return;
    }
    const shown = this.tabs.get<Array<[string, string]>>(SHOWN_KEY, []).filter((e) => Array.isArray(e) && e[0] !== panel.title);
    void this.tabs.update(SHOWN_KEY, [[panel.title, source.state], ...shown].slice(0, SHOWN_MAX));
  }

  private remembered(title: string): MessageRef | undefined {
    const entry = this.tabs?.get<Array<[string, string]>>(SHOWN_KEY, []).find((e) => Array.isArray(e) && e[0] === title);
    return entry ? decodeRef(entry[1]) : undefined;
  }

  private readonly panels = new Set<{ panel: vscode.WebviewPanel; view: MessageView }>();
  private readonly conversations = new Set<ConversationView>();

  /**
   * Opens a conversation in one tab (conversationView.ts): `messages` oldest first, `path` the
   * conversation's folder (messages elsewhere, such as your reply in Sent, name their folder).
   * At most MAX_CONVERSATION_MESSAGES, the newest; the view says how many it left out.
   */
  async openConversation(subject: string, path: string, messages: MessageRef[]): Promise<void> {
    const shown = messages.slice(-MAX_CONVERSATION_MESSAGES);
    const title = plainLabel(subject, 80) || vscode.l10n.t('Conversation');
    const panel = vscode.window.createWebviewPanel(CONVERSATION_VIEW_TYPE, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      enableForms: false,
      enableCommandUris: false,
      retainContextWhenHidden: true,
    });
    if (this.tabs) {
      const kept = this.tabs.get<RememberedConversation[]>(CONVERSATIONS_KEY, []).filter((e) => Array.isArray(e) && e[0] !== title);
      void this.tabs.update(CONVERSATIONS_KEY, [[title, subject, path, shown.map(encodeRef), messages.length - shown.length], ...kept].slice(0, CONVERSATIONS_MAX));
    }
    await this.showConversation(panel, subject, path, shown, messages.length - shown.length);
  }

  /**
   * A conversation tab VS Code restored after a reload: shows the conversation remembered for its
   * title, each message where it is now (relocate: same UID, else its Message-ID in the same
   * folder; a card says when neither holds it). A tab with nothing remembered closes.
   */
  private async restoreConversation(panel: vscode.WebviewPanel): Promise<void> {
    const entry = this.tabs?.get<RememberedConversation[]>(CONVERSATIONS_KEY, []).find((e) => Array.isArray(e) && e[0] === panel.title);
    const refs = entry && Array.isArray(entry[3]) ? entry[3].map(decodeRef).filter((r): r is MessageRef => Boolean(r && this.accounts.get(r.accountId))) : [];
    if (!entry || !refs.length) {
      this.deps.log.info('A restored conversation tab names no conversation this window remembers: closed.');
      panel.dispose();
      return;
    }
    this.deps.log.info(`Restoring a conversation tab of ${refs.length} messages.`);
    const found = await Promise.all(refs.map(async (ref) => (await this.relocate(ref)) ?? ref));
    await this.showConversation(panel, String(entry[1]), String(entry[2]), found, Number(entry[4]) || 0);
  }

  private async showConversation(panel: vscode.WebviewPanel, subject: string, path: string, shown: MessageRef[], omitted: number): Promise<void> {
    panel.iconPath = this.icon;
    const view = new ConversationView(panel.webview, this.deps, {
      command: async (id, messages) => {
        const refs = messages.map(({ ref, flags }) => ({ ...ref, flags: [...flags] }));
        await vscode.commands.executeCommand(id, refs[0], refs);
      },
      openInTab: (ref) => this.open(ref, { newTab: true, preserveFocus: false }),
      flagsOf: (ref) => this.tree.summaryOf(ref)?.flags,
    }, (t) => (panel.title = t));
    this.conversations.add(view);
    panel.onDidDispose(() => {
      this.conversations.delete(view);
      view.dispose();
    });
    await view.show(subject, shown.map((ref) => ({ ref, source: this.imapSource(ref), ...(ref.path !== path ? { folder: this.tree.folderLabel(ref.accountId, ref.path) } : {}) })), omitted);
  }

  /** The message shown in the active panel, for commands run from the palette. */
  activeRef(): MessageRef | undefined {
    return this.activeMessage()?.ref;
  }

  activeMessage(): { ref: MessageRef; flags: string[]; messageId?: string; subject?: string } | undefined {
    for (const entry of this.panels) {
      if (entry.panel.active) {
        const ref = decodeRef(entry.view.current?.state);
        const message = entry.view.message;
        return ref ? { ref, flags: message?.flags ?? [], ...(message?.messageId ? { messageId: message.messageId } : {}), ...(message?.subject ? { subject: message.subject } : {}) } : undefined;
      }
    }
    return undefined;
  }

  private showing(accountId: string, path: string, uids: number[]): MessageView[] {
    return [...this.panels].map((e) => e.view).filter((view) => {
      const ref = decodeRef(view.current?.state);
      return ref && ref.accountId === accountId && ref.path === path && uids.includes(ref.uid);
    });
  }

  /** Keeps the toolbar's flag buttons true to the model. */
  flagsChanged(accountId: string, path: string, uids: number[]): void {
    this.conversations.forEach((c) => c.flagsChanged(accountId, path, uids));
    for (const view of this.showing(accountId, path, uids)) {
      const ref = decodeRef(view.current?.state)!;
      const summary = this.tree.summaryOf(ref);
      if (summary) {
        view.updateFlags(summary.flags);
      }
    }
  }

  /** The message shown left its folder: say where it went (or that someone else removed it). */
  removed(accountId: string, path: string, uids: number[], destination: string | undefined): void {
    for (const conversation of this.conversations) {
      conversation.removed(accountId, path, uids, destination === undefined
        ? vscode.l10n.t('Deleted or moved by another mail client.')
        : destination
          ? vscode.l10n.t('Moved to {0}.', this.tree.folderLabel(accountId, destination))
          : vscode.l10n.t('Deleted.'));
    }
    for (const view of this.showing(accountId, path, uids)) {
      view.notice(destination === undefined
        ? vscode.l10n.t('This message was deleted or moved by another mail client.')
        : destination
          ? vscode.l10n.t('This message was moved to {0}.', this.tree.folderLabel(accountId, destination))
          : vscode.l10n.t('This message was deleted.'));
    }
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const view = this.attach(panel);
    const ref = decodeRef((state as { ref?: unknown } | undefined)?.ref) ?? this.remembered(panel.title);
    if (!ref || !this.accounts.get(ref.accountId)) {
      this.deps.log.info(`A restored message tab cannot show its message: ${ref ? `no account ${ref.accountId} (accounts: ${this.accounts.all().map((a) => a.id).join(', ') || 'none'})` : `its state names no message (${typeof state === 'object' && state ? Object.keys(state).join(', ') || 'empty' : typeof state})`}.`);
      panel.webview.html = `<!DOCTYPE html><html><body><p>${vscode.l10n.t('This message is no longer available.')}</p></body></html>`;
      return;
    }
    this.deps.log.info(`Restoring a message tab: ${ref.path} UID ${ref.uid}${ref.messageId ? ' (with its Message-ID)' : ''}, from ${decodeRef((state as { ref?: unknown } | undefined)?.ref) ? 'its state' : 'its title'}.`);
    // the state VS Code kept can be older than what the tab showed last (code-server stores it
    // later): what we remembered for the tab's title is asked too, and the first one found wins
    const remembered = this.remembered(panel.title);
    let found: MessageRef | undefined;
    for (const candidate of remembered && !sameMessage(remembered, ref) ? [ref, remembered] : [ref]) {
      found = await this.relocate(candidate);
      if (found) {
        break;
      }
    }
    // last, the message by its Message-ID in the account's other folders (it moved since)
    found ??= await this.findElsewhere(ref);
    const source = this.imapSource(found ?? ref);
    await view.show(source);
    this.remember(panel, source);
  }

  /**
   * The message a restored tab names, where it is now: the same UID while the folder holds it,
   * else the newest message of the folder with its Message-ID (one UID SEARCH HEADER Message-ID).
   * VS Code can restore a tab with a state saved before its message moved and came back (Undo of a
   * move gives it a new UID), and the tab then said the message was gone.
   *
   * @returns undefined when the folder holds neither (or cannot be read: the view then says why)
   */
  private async relocate(ref: MessageRef): Promise<MessageRef | undefined> {
    if (!this.accounts.get(ref.accountId)) {
      return undefined;
    }
    try {
      return await this.sessions.get(ref.accountId).withMailbox(ref.path, async (client, mailbox) => {
        if (ref.uidValidity && String(mailbox.uidValidity) !== ref.uidValidity) {
          return undefined;
        }
        const same = await client.search({ uid: String(ref.uid) }, { uid: true });
        if (Array.isArray(same) && same.includes(ref.uid)) {
          return ref;
        }
        const messageId = ref.messageId;
        const found = messageId ? await client.search({ header: { 'message-id': messageId } }, { uid: true }) : [];
        const uid = Array.isArray(found) && found.length ? Math.max(...found) : undefined;
        if (uid) {
          this.deps.log.info(`A restored message tab found its message by Message-ID at UID ${uid} (it named UID ${ref.uid}).`);
        }
        return uid ? { ...ref, uid } : undefined;
      }, { idempotent: true, readOnly: true });
    } catch {
      return undefined;
    }
  }

  /**
   * A restored tab's message in another folder of its account, by its Message-ID: one UID SEARCH
   * HEADER Message-ID per selectable folder (at most MAX_FOLDERS_SEARCHED, INBOX first), until one
   * holds it. Only when the tab's own folder does not; undefined without a Message-ID or on failure.
   */
  private async findElsewhere(ref: MessageRef): Promise<MessageRef | undefined> {
    if (!ref.messageId || !this.accounts.get(ref.accountId)) {
      return undefined;
    }
    try {
      const session = this.sessions.get(ref.accountId);
      const folders = this.tree.knownFolders(ref.accountId) ?? (await session.run((client) => listFolders(client), { idempotent: true }));
      const paths = flattenFolders(folders).filter((f) => f.selectable && f.path !== ref.path).map((f) => f.path);
      paths.sort((a, b) => Number(b.toUpperCase() === 'INBOX') - Number(a.toUpperCase() === 'INBOX'));
      for (const path of paths.slice(0, MAX_FOLDERS_SEARCHED)) {
        // UID 4294967295 (the largest, RFC 3501 nz-number) names no message: only the Message-ID search counts
        const found = await this.relocate({ accountId: ref.accountId, path, uid: 4294967295, messageId: ref.messageId });
        if (found) {
          this.deps.log.info(`A restored message tab found its message in another folder (${path}).`);
          return found;
        }
      }
    } catch (err) {
      this.deps.log.warn(`A restored message tab could not look for its message in other folders: ${err instanceof Error ? err.message : String(err)}`);
    }
    return undefined;
  }

  override dispose(): void {
    this.preview?.panel.dispose();
    super.dispose();
  }
}
