// The conversation view (issue 13): every message of a conversation in one tab, oldest first,
// each rendered exactly as the message view renders one (the render worker, the sanitizer, the
// sandboxed frame, remote content blocked until the user allows it for that message), with quoted
// text folded (BodyInput.foldQuotes). Read messages start collapsed; unread ones and the newest
// start open, and those are marked read as the message view marks one (markAsReadOnOpen).
//
// The webview reports clicks through the same validated protocol as the message view
// (protocol.ts: conversationAction, cardAction, cardRemote), each with the `state` of the
// rendering it was clicked in; the host re-checks the card index and runs the triage commands
// itself.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { checkSender } from '../core/authResults';
import { toMailError } from '../core/errors';
import { type LoadedResource } from '../core/render/css';
import { renderMessageBody } from '../core/render/renderMessage';
import { type BodyRenderer } from '../core/render/renderHost';
import { buildViewModel, type LoadedMessage, type MessageViewModel } from '../core/render/viewModel';
import { conversationSnippet } from '../core/render/snippet';
import { plainLabel } from '../core/text';
import { type MessageRef } from '../tree/nodes';
import { errorMessage } from '../util/commands';
import { Disposable } from '../util/dispose';
import { shellHtml } from './html';
import { confirmOpenLink, dispatchViewMessage, type MessageSource, type MessageViewDeps, senderOf } from './messageView';
import { type CardAction, type ConversationAction, type ConversationCard, type HostToView, isStale, type ViewToHost } from './protocol';

/** Restored after a reload from what MessagePanels remembered for the tab's title. */
export const CONVERSATION_VIEW_TYPE = 'imapExplorer.conversation';

/** A message of the conversation, as the panels give it. */
export interface ConversationMember {
  ref: MessageRef;
  source: MessageSource;
  /** The folder's name when it is not the conversation's folder. */
  folder?: string;
}

/** What the view asks of the rest of the extension. */
export interface ConversationOps {
  /**
   * Runs a triage command (imapExplorer.markRead, .archive, ...) once on all `messages` (one IMAP
   * command per folder, one notification and one Undo), each with the flags the view loaded (the
   * Mail view may not list the message, e.g. your reply in Sent).
   */
  command(id: string, messages: ReadonlyArray<{ ref: MessageRef; flags: readonly string[] }>): Promise<void>;
  openInTab(ref: MessageRef): Promise<void>;
  /** The message's flags as the Mail view knows them now, if it lists the message. */
  flagsOf(ref: MessageRef): string[] | undefined;
}

interface Card extends ConversationMember {
  loaded?: LoadedMessage;
  model?: MessageViewModel;
  expanded: boolean;
  snippet: string;
  gone?: string;
  error?: string;
}

const CONVERSATION_COMMANDS: Record<ConversationAction, { command: string; flag?: { name: '\\Seen' | '\\Flagged'; on: boolean } }> = {
  markAllRead: { command: 'imapExplorer.markRead', flag: { name: '\\Seen', on: true } },
  flagAll: { command: 'imapExplorer.flag', flag: { name: '\\Flagged', on: true } },
  unflagAll: { command: 'imapExplorer.unflag', flag: { name: '\\Flagged', on: false } },
  archiveAll: { command: 'imapExplorer.archive' },
  deleteAll: { command: 'imapExplorer.delete' },
};

const FLAG_COMMANDS = {
  '\\Seen': { on: 'imapExplorer.markRead', off: 'imapExplorer.markUnread' },
  '\\Flagged': { on: 'imapExplorer.flag', off: 'imapExplorer.unflag' },
};

function hasFlag(flags: readonly string[], flag: string): boolean {
  return flags.some((f) => f.toLowerCase() === flag.toLowerCase());
}

export class ConversationView extends Disposable {
  private cards: Card[] = [];
  private subject = '';
  private omitted = 0;
  /** Changes with every 'conversation' posted: clicks on an earlier rendering are stale. */
  private state = '';
  private ready = false;
  private pending: HostToView[] = [];
  private generation = 0;

  constructor(
    private readonly webview: vscode.Webview,
    private readonly deps: MessageViewDeps,
    private readonly ops: ConversationOps,
    private readonly setTitle: (title: string) => void,
  ) {
    super();
    webview.options = { enableScripts: true, enableForms: false, enableCommandUris: false, localResourceRoots: deps.resources(webview).roots };
    this._register(webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)));
    this.webview.html = shellHtml(this.webview, this.deps.resources(this.webview));
  }

  private post(message: HostToView): void {
    if (!this.ready) {
      this.pending = message.type === 'conversation' || message.type === 'loading' || message.type === 'error' ? [message] : [...this.pending, message];
      return;
    }
    void this.webview.postMessage(message);
  }

  /**
   * Loads every message (one after the other, on the account's connection; the loader fetches
   * only the parts it shows), renders each in the render worker, shows them, then marks the open
   * unread ones read (MessageSource.shown, which follows imapExplorer.markAsReadOnOpen).
   */
  async show(subject: string, members: ConversationMember[], omitted = 0): Promise<void> {
    const generation = ++this.generation;
    this.subject = plainLabel(subject, 200) || vscode.l10n.t('Conversation');
    this.omitted = omitted;
    this.setTitle(plainLabel(this.subject, 80));
    this.post({ type: 'loading', title: this.subject });
    const cards: Card[] = members.map((m) => ({ ...m, expanded: false, snippet: '' }));
    for (const card of cards) {
      try {
        card.loaded = await card.source.load();
      } catch (err) {
        card.error = toMailError(err).message;
        this.deps.log.warn(`Conversation view: cannot load ${plainLabel(card.source.title, 80)}: ${card.error}`);
      }
      if (generation !== this.generation) {
        return;
      }
    }
    if (generation !== this.generation) {
      return;
    }
    this.post({ type: 'loading', title: this.subject, phase: 'rendering' });
    const newest = cards.length - 1;
    for (const [index, card] of cards.entries()) {
      if (!card.loaded) {
        continue;
      }
      card.expanded = index === newest || !hasFlag(card.loaded.flags, '\\Seen');
      card.snippet = conversationSnippet(card.loaded);
      card.model = await this.renderCard(card);
      if (generation !== this.generation) {
        return;
      }
    }
    this.omitted += cards.filter((c) => !c.model).length;
    this.cards = cards;
    this.postConversation();
    for (const [index, card] of cards.entries()) {
      if (card.loaded && card.expanded && !hasFlag(card.loaded.flags, '\\Seen')) {
        try {
          await card.source.shown?.(card.loaded);
        } catch (err) {
          this.deps.log.warn(`Conversation view: cannot mark ${plainLabel(card.source.title, 80)} read: ${errorMessage(err)}`);
        }
        if (generation !== this.generation) {
          return;
        }
        if (hasFlag(card.loaded.flags, '\\Seen')) {
          this.setCardFlag(index, '\\Seen', true);
        }
      }
    }
  }

  /** The message's body rendered as the message view renders it, with quoted text folded. */
  private async renderCard(card: Card): Promise<MessageViewModel | undefined> {
    const loaded = card.loaded;
    if (!loaded) {
      return undefined;
    }
    const sender = senderOf(loaded);
    const trusted = this.deps.remote.trustsSender(sender);
    const verified = trusted && (await this.senderVerified(card.source, loaded));
    const scope = this.deps.remote.scope(card.source.state, sender, verified);
    const renderer: BodyRenderer = this.deps.renderer;
    const rendering = await renderMessageBody(loaded, {
      allowRemote: scope !== undefined,
      resources: scope ? this.deps.remote.resources(card.source.state) : new Map<string, LoadedResource>(),
      render: (input) => renderer.render(input),
      fetch: this.deps.remote.fetchOptions(),
      onFetchFailed: (url, reason) => this.deps.log.info(`Remote content not loaded (${reason}): ${plainLabel(url, 300)}`),
      foldQuotes: true,
    });
    const model = buildViewModel(loaded, { origin: 'imap', ...(scope ? { remoteAllowed: scope } : {}) }, rendering);
    if (trusted && !verified && !scope) {
      model.remote.unverified = true;
    }
    return model;
  }

  /** Whether the account's server vouches for the sender (only the authserv-ids the user confirmed). */
  private async senderVerified(source: MessageSource, loaded: LoadedMessage): Promise<boolean> {
    if (!source.authenticationResults) {
      return false;
    }
    try {
      const results = await source.authenticationResults();
      return checkSender(results.fields, this.deps.remote.authservIds(results.server), senderOf(loaded)).verified;
    } catch (err) {
      this.deps.log.warn(`Cannot read Authentication-Results: ${errorMessage(err)}`);
      return false;
    }
  }

  private cardView(card: Card): ConversationCard | undefined {
    if (!card.model) {
      return undefined;
    }
    return { model: card.model, expanded: card.expanded, snippet: card.snippet, ...(card.folder ? { folder: card.folder } : {}), ...(card.gone ? { gone: card.gone } : {}) };
  }

  private postConversation(): void {
    this.state = `conversation:${randomBytes(12).toString('hex')}`;
    const shown = this.cards.filter((c) => c.model);
    // cards that could not be loaded are left out; the indexes the view echoes are of `shown`
    this.cards = shown;
    this.post({ type: 'conversation', subject: this.subject, cards: shown.map((c) => this.cardView(c)!), omitted: this.omitted, state: this.state });
  }

  /** Tells the view a card's flags changed (and keeps them for the next toggle). */
  private setCardFlag(index: number, flag: '\\Seen' | '\\Flagged', on: boolean): void {
    const card = this.cards[index];
    if (!card?.model || !card.loaded) {
      return;
    }
    const others = card.loaded.flags.filter((f) => f.toLowerCase() !== flag.toLowerCase());
    card.loaded.flags = on ? [...others, flag] : others;
    card.model.flags = { ...card.model.flags, ...(flag === '\\Seen' ? { seen: on } : { flagged: on }) };
    this.post({ type: 'card', index, state: this.state, seen: card.model.flags.seen, flagged: card.model.flags.flagged, ...(card.gone ? { gone: card.gone } : {}) });
  }

  /** Flags changed in the Mail view or on the server (panels.flagsChanged). */
  flagsChanged(accountId: string, path: string, uids: number[]): void {
    for (const [index, card] of this.cards.entries()) {
      if (card.ref.accountId !== accountId || card.ref.path !== path || !uids.includes(card.ref.uid)) {
        continue;
      }
      const flags = this.ops.flagsOf(card.ref);
      if (flags) {
        this.setCardFlag(index, '\\Seen', hasFlag(flags, '\\Seen'));
        this.setCardFlag(index, '\\Flagged', hasFlag(flags, '\\Flagged'));
      }
    }
  }

  /** Messages left their folder (moved, deleted here or by another client): their cards say so. */
  removed(accountId: string, path: string, uids: number[], text: string): void {
    for (const [index, card] of this.cards.entries()) {
      if (card.ref.accountId === accountId && card.ref.path === path && uids.includes(card.ref.uid) && card.model) {
        card.gone = text;
        this.post({ type: 'card', index, state: this.state, seen: card.model.flags.seen, flagged: card.model.flags.flagged, gone: text });
      }
    }
  }

  private receive(raw: unknown): Promise<void> {
    return dispatchViewMessage(raw, 'Conversation view', this.deps.log, (message) => this.handle(message));
  }

  private async handle(message: ViewToHost): Promise<void> {
    if (isStale(message, this.state)) {
      this.deps.log.info(`Conversation view: ${message.type} for an earlier rendering; ignored.`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.pending.length) {
          const pending = this.pending;
          this.pending = [];
          pending.forEach((m) => void this.webview.postMessage(m));
        } else if (this.cards.length) {
          this.postConversation();
        }
        return;
      case 'openLink':
        return confirmOpenLink(message);
      case 'conversationAction':
        return this.conversationAction(message.action);
      case 'cardAction':
        return this.cardAction(message.index, message.action);
      case 'cardRemote':
        return this.cardRemote(message.index, message.load);
      default:
        // attachments, source, code links: "Open in its own tab" shows them in the message view
        this.deps.log.info(`Conversation view: ${message.type} is not offered here; ignored.`);
        return;
    }
  }

  /**
   * An action on every message still in its folder that it changes: one triage command on all of
   * them (one IMAP command per folder, one notification, one Undo).
   */
  private async conversationAction(action: ConversationAction): Promise<void> {
    const { command, flag } = CONVERSATION_COMMANDS[action];
    const state = this.state;
    const targets = [...this.cards.entries()].filter(([, card]) => !card.gone && card.loaded && !(flag && hasFlag(card.loaded.flags, flag.name) === flag.on));
    if (!targets.length) {
      return;
    }
    await this.ops.command(command, targets.map(([, card]) => ({ ref: card.ref, flags: card.loaded!.flags })));
    if (flag && state === this.state) {
      targets.forEach(([index]) => this.setCardFlag(index, flag.name, flag.on));
    }
  }

  private async cardAction(index: number, action: CardAction): Promise<void> {
    const card = this.cards[index];
    if (!card?.loaded || card.gone) {
      return;
    }
    const flag = (name: '\\Seen' | '\\Flagged', on: boolean) => this.ops.command(on ? FLAG_COMMANDS[name].on : FLAG_COMMANDS[name].off, [{ ref: card.ref, flags: card.loaded!.flags }]).then(() => this.setCardFlag(index, name, on));
    switch (action) {
      case 'openInTab':
        return this.ops.openInTab(card.ref);
      case 'toggleFlag':
        return flag('\\Flagged', !hasFlag(card.loaded.flags, '\\Flagged'));
      case 'toggleRead':
        return flag('\\Seen', !hasFlag(card.loaded.flags, '\\Seen'));
      case 'markRead':
        return flag('\\Seen', true);
      case 'markUnread':
        return flag('\\Seen', false);
      default:
        return card.source.runAction?.(action);
    }
  }

  /** Remote content of one message: allowed for that message only, or blocked again. */
  private async cardRemote(index: number, load: boolean): Promise<void> {
    const card = this.cards[index];
    if (!card?.loaded) {
      return;
    }
    if (load) {
      this.deps.remote.allowMessage(card.source.state);
    } else {
      this.deps.remote.blockMessage(card.source.state);
    }
    const state = this.state;
    const model = await this.renderCard(card);
    if (state !== this.state || !model) {
      return;
    }
    card.model = model;
    card.expanded = true;
    this.post({ type: 'cardBody', index, state: this.state, card: this.cardView(card)! });
  }
}
