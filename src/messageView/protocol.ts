// The one message protocol between the message view (webview) and the extension host. The
// webview never names a command: it reports what the user clicked, and the host decides. The host
// validates every message it receives with parseViewMessage() before acting on it.
import { type MessageViewModel } from '../core/render/viewModel';

/** What the toolbar can ask for; the host maps each to a command on the message it shows. */
export const MESSAGE_ACTIONS = ['reply', 'replyAll', 'forward', 'toggleFlag', 'toggleRead', 'archive', 'junk', 'delete', 'moveTo', 'copyTo', 'addKeyword'] as const;
export type MessageAction = (typeof MESSAGE_ACTIONS)[number];

export type HostToView =
  /** The message is being fetched ('loading') or its body rendered in the worker ('rendering'). */
  | { type: 'loading'; title: string; phase?: 'rendering' }
  | { type: 'show'; model: MessageViewModel; state: string }
  | { type: 'flags'; flagged: boolean; seen: boolean }
  | { type: 'notice'; text: string }
  | { type: 'error'; title: string; message: string };

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
  | { type: 'openAttachment'; id: string }
  | { type: 'saveAttachment'; id: string }
  | { type: 'viewSource' }
  | { type: 'showWhole' }
  | { type: 'action'; action: MessageAction }
  /** A code link in the body (a stack frame): its index among the links the host resolved. */
  | { type: 'openCodeLink'; index: number };

const MAX_STRING = 8192;

function isString(value: unknown, max = MAX_STRING): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
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
    case 'showWhole':
      return { type: m.type };
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
      return Number.isInteger(m.index) && (m.index as number) >= 0 && (m.index as number) < 10000 ? { type: 'openCodeLink', index: m.index as number } : undefined;
    case 'openAttachment':
    case 'saveAttachment':
      return isString(m.id, 200) ? { type: m.type, id: m.id } : undefined;
    default:
      return undefined;
  }
}
