// The one message protocol between the message view (webview) and the extension host. The
// webview never names a command: it reports what the user clicked, and the host decides. The host
// validates every message it receives with parseViewMessage() before acting on it.
import { createHash } from 'node:crypto';
import { type MessageViewModel } from '../core/render/viewModel';

/** What the toolbar can ask for; the host maps each to a command on the message it shows. */
export const MESSAGE_ACTIONS = ['reply', 'replyAll', 'forward', 'toggleFlag', 'toggleRead', 'archive', 'junk', 'delete', 'moveTo', 'copyTo', 'addKeyword'] as const;
export type MessageAction = (typeof MESSAGE_ACTIONS)[number];

/** What the conversation view's toolbar can ask for, on every message of the conversation. */
export const CONVERSATION_ACTIONS = ['markAllRead', 'archiveAll', 'deleteAll', 'flagAll', 'unflagAll'] as const;
export type ConversationAction = (typeof CONVERSATION_ACTIONS)[number];
/** What a card of the conversation view can ask for: a message action, or "open in its own tab". */
export const CARD_ACTIONS = [...MESSAGE_ACTIONS, 'markRead', 'markUnread', 'openInTab'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];
/** Most messages a conversation view shows (the oldest beyond it are left out, and it says so). */
export const MAX_CONVERSATION_MESSAGES = 100;

/** One message of the conversation view. */
export interface ConversationCard {
  model: MessageViewModel;
  /** The folder it lives in, when that is not the conversation's folder (your reply in Sent). */
  folder?: string;
  /** Shown open (unread, or the newest); the others show a one-line header. */
  expanded: boolean;
  /** The first line of its text, for the collapsed header. */
  snippet: string;
  /** It left its folder since (moved, deleted): a note, and no actions. */
  gone?: string;
}

export type HostToView =
  /** The message is being fetched ('loading') or its body rendered in the worker ('rendering'). */
  | { type: 'loading'; title: string; phase?: 'rendering' }
  | { type: 'show'; model: MessageViewModel; state: string }
  | { type: 'flags'; flagged: boolean; seen: boolean }
  | { type: 'notice'; text: string }
  | { type: 'error'; title: string; message: string }
  /**
   * The conversation view: every message, oldest first. `state` changes with every 'conversation'
   * sent, so a click on a card of an earlier one does nothing (the host drops it).
   */
  | { type: 'conversation'; subject: string; cards: ConversationCard[]; omitted: number; state: string }
  /** A card's flags changed, or its message left the folder (`gone` says where it went). */
  | { type: 'card'; index: number; state: string; seen: boolean; flagged: boolean; gone?: string }
  /** A card rendered again (remote content loaded or blocked for it). */
  | { type: 'cardBody'; index: number; state: string; card: ConversationCard };

export type ViewToHost =
  | { type: 'ready' }
  /**
   * A click on a link: its href (data-href), the sanitizer's deceptive flag, the text the user
   * actually sees in it (hidden parts removed, at most 2000 characters) and whether CSS hid some of
   * its text. The host re-checks all of it (links.ts) before it asks the user.
   */
  | { type: 'openLink'; href: string; deceptive: boolean; text?: string; hiddenText?: boolean }
  | { type: 'loadRemote'; scope: 'message' | 'sender' }
  | { type: 'blockRemote' }
  /**
   * Open or Save an attachment or the invitation; Show the whole message. Each carries the
   * `state` of the 'show' it was clicked in: the host acts only when that is still the message
   * it shows, so a click that crosses a switch to another message does nothing.
   */
  | { type: 'openAttachment'; id: string; state: string }
  | { type: 'saveAttachment'; id: string; state: string }
  | { type: 'viewSource' }
  | { type: 'showWhole'; state: string }
  | { type: 'action'; action: MessageAction }
  /** A code link in the body (a stack frame): its index among the links the host resolved for `state`. */
  | { type: 'openCodeLink'; index: number; state: string }
  /** The conversation view's toolbar: an action on every message. */
  | { type: 'conversationAction'; action: ConversationAction; state: string }
  /** A card of the conversation view (`index` among the cards of `state`): an action on that message. */
  | { type: 'cardAction'; index: number; action: CardAction; state: string }
  /** A card's remote-content bar: load (this message only) or block again. */
  | { type: 'cardRemote'; index: number; load: boolean; state: string };

const MAX_STRING = 8192;

function isString(value: unknown, max = MAX_STRING): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function isCardIndex(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) < MAX_CONVERSATION_MESSAGES;
}

/** Accepts exactly the shapes above, with bounded strings, and nothing else. */
export function parseViewMessage(raw: unknown): ViewToHost | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return undefined;
  }
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'viewSource':
    case 'blockRemote':
      return { type: m.type };
    case 'showWhole':
      return isString(m.state) ? { type: 'showWhole', state: m.state } : undefined;
    case 'openLink':
      if (!isString(m.href)) {
        return undefined;
      }
      return {
        type: 'openLink',
        href: m.href,
        deceptive: m.deceptive === true,
        ...(typeof m.text === 'string' ? { text: m.text.slice(0, 2000) } : {}),
        ...(m.hiddenText === true ? { hiddenText: true } : {}),
      };
    case 'loadRemote':
      return m.scope === 'message' || m.scope === 'sender' ? { type: 'loadRemote', scope: m.scope } : undefined;
    case 'action':
      return typeof m.action === 'string' && (MESSAGE_ACTIONS as readonly string[]).includes(m.action) ? { type: 'action', action: m.action as MessageAction } : undefined;
    case 'openCodeLink':
      return Number.isInteger(m.index) && (m.index as number) >= 0 && (m.index as number) < 10000 && isString(m.state) ? { type: 'openCodeLink', index: m.index as number, state: m.state } : undefined;
    case 'conversationAction':
      return typeof m.action === 'string' && (CONVERSATION_ACTIONS as readonly string[]).includes(m.action) && isString(m.state) ? { type: 'conversationAction', action: m.action as ConversationAction, state: m.state } : undefined;
    case 'cardAction':
      return isCardIndex(m.index) && typeof m.action === 'string' && (CARD_ACTIONS as readonly string[]).includes(m.action) && isString(m.state) ? { type: 'cardAction', index: m.index, action: m.action as CardAction, state: m.state } : undefined;
    case 'cardRemote':
      return isCardIndex(m.index) && typeof m.load === 'boolean' && isString(m.state) ? { type: 'cardRemote', index: m.index, load: m.load, state: m.state } : undefined;
    case 'openAttachment':
    case 'saveAttachment':
      return isString(m.id, 200) && isString(m.state) ? { type: m.type, id: m.id, state: m.state } : undefined;
    default:
      return undefined;
  }
}

/**
 * Whether a message from the view is about a message other than the one the host shows now
 * (the view's click crossed a switch of the panel to another message): such a message is dropped.
 */
export function isStale(message: ViewToHost, shownState: string | undefined): boolean {
  return 'state' in message && message.state !== shownState;
}

/**
 * The state (the key of "remote content allowed for this message") of a message attached to
 * another: the parent message's state and the part, hashed. Never the attachment's file name,
 * which any other message can repeat to inherit a consent given to this one.
 */
export function attachedMessageState(parentState: string, part: string): string {
  return `attached:${createHash('sha256').update(parentState).update('\0').update(part).digest('hex').slice(0, 32)}`;
}
