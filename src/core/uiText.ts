// Text for VS Code's own UI (notifications, dialogs, progress, status bar, quick picks, input
// boxes, tree rows), from servers and senders. Two steps, both required by the types:
//
// 1. `UiText` is a branded string that only the functions of this module make. It is plain text:
//    sender input is cleaned by plainLabel (no bidi or control characters, no encoded words,
//    bounded), and our own sentences are literals. Nothing else type-checks where a UiText is
//    wanted, so raw sender text cannot reach a surface by mistake.
// 2. Each kind of surface interprets its own little syntax, and `encodeForSurface` neutralises
//    exactly that syntax in the final string, at the last moment (src/util/ui.ts is the only
//    caller), so that no concatenation of pieces can rebuild it:
//    - notification toasts and progress notifications parse `[label](https:|command:|file:...)`
//      into clickable links (VS Code `src/vs/base/common/linkedText.ts`, LINK_REGEX, rendered
//      by `notificationsViewer.ts` with `allowCommands: true`); progress notifications also
//      strip `$(icon)` (stripIcons);
//    - the input box prompt and validation message are rendered with linked text *and* codicons
//      (`renderQuickInputDescription` in `quickInput.ts`);
//    - status bar text and quick pick labels, descriptions and details render `$(icon)` codicons
//      (`renderLabelWithIcons`, `src/vs/base/browser/ui/iconLabel/iconLabels.ts`);
//    - modal dialogs (message and detail), tree labels, descriptions and string tooltips, and
//      status bar tooltips given as strings are set as plain text (`innerText`, `textContent`):
//      nothing to neutralise, as long as no MarkdownString is ever built from sender text
//      (the wrapper never builds one, and lint forbids them elsewhere).
//    A link needs `]` immediately followed by `(`; an icon needs `$` immediately followed by
//    `(`. Inserting U+2060 WORD JOINER between them breaks both grammars while the text reads and
//    looks the same (it is a default-ignorable character: zero width, never a line break).
import { plainLabel, plainMultiline } from './text';

declare const uiTextBrand: unique symbol;

/** Plain text, fit for any VS Code surface once encoded by `encodeForSurface`. */
export type UiText = string & { readonly [uiTextBrand]: 'UiText' };

/** The kinds of VS Code surfaces, by what they interpret. */
export type UiSurface =
  /** showInformation/Warning/ErrorMessage without `modal`: linked text. */
  | 'notification'
  /** withProgress title and message (notification or window location): linked text and stripped icons. */
  | 'progress'
  /** Modal dialog message, detail: plain text. */
  | 'modal'
  /** Status bar item text, setStatusBarMessage: codicons. */
  | 'statusBar'
  /** Status bar item tooltip as a string: plain text. */
  | 'statusBarTooltip'
  /** Quick pick item label, description, detail; quick pick title and placeholder: codicons. */
  | 'quickPick'
  /** Input box prompt and validation message: linked text and codicons. */
  | 'inputPrompt'
  /** Input box title and placeholder: codicons at most. */
  | 'inputTitle'
  /** Tree item label, description, string tooltip: plain text. */
  | 'tree';

const WORD_JOINER = '\u2060';

function breakLinks(text: string): string {
  // linkedText: \[([^\]]+)\]\((scheme)...\): no `](` pair, no link
  return text.split('](').join(`]${WORD_JOINER}(`);
}

function breakIcons(text: string): string {
  // codicons: (\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\): no `$(` pair, no icon (and stripIcons keeps the text)
  return text.split('$(').join(`$${WORD_JOINER}(`);
}

/**
 * The string to hand to one VS Code surface: `text` with the syntax that surface interprets
 * made inert (see the module comment for each surface and the VS Code source it follows).
 * Total and linear; never returns a string containing `](` (links) or `$(` (icons) where the
 * surface would interpret them.
 */
export function encodeForSurface(surface: UiSurface, text: UiText): string {
  switch (surface) {
    case 'notification':
      // VS Code joins lines of a notification with spaces before parsing links: so do we, first
      return breakLinks(text.replace(/\r\n|\r|\n/g, ' '));
    case 'progress':
    case 'inputPrompt':
      return breakIcons(breakLinks(text.replace(/\r\n|\r|\n/g, ' ')));
    case 'statusBar':
    case 'quickPick':
    case 'inputTitle':
      return breakIcons(text);
    case 'modal':
    case 'statusBarTooltip':
    case 'tree':
      return text;
  }
}

/** Sender or server text as one plain line (see plainLabel): bidi, controls and encoded words removed, at most `max` characters. */
export function uiPlain(text: string | undefined, max = 200): UiText {
  return plainLabel(text, max) as UiText;
}

// Bidi controls, zero-width and C0/C1 controls (as in text.ts), shown as U+FFFD by uiVerbatim.
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF\u0000-\u001F\u007F-\u009F]/g;

/**
 * Text that must be shown exactly as it will be used (a link target, a file path): nothing is
 * decoded or removed; invisible and control characters are shown as U+FFFD instead, so that what
 * the user reads is what is used. At most `max` characters.
 */
export function uiVerbatim(text: string, max = 2000): UiText {
  const out = text.replace(INVISIBLE, '\uFFFD');
  return (out.length > max ? `${out.slice(0, max - 1)}…` : out) as UiText;
}

/** Sender or server text that keeps its line breaks (tooltips, dialog details), each line plain. */
export function uiLines(text: string | undefined, max = 2000): UiText {
  return plainMultiline(text ?? '', max) as UiText;
}

/**
 * Our own sentence, with `{0}`, `{1}`... filled by UiText (or numbers). `template` must be a
 * literal of ours (lint checks the call sites); in the extension, use `t()` of src/util/ui.ts,
 * which translates it first.
 */
export function uiFormat(template: string, ...args: Array<UiText | number>): UiText {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    const close = template.indexOf('}', open);
    const index = close > open ? Number(template.slice(open + 1, close)) : NaN;
    if (close > open && close - open <= 4 && Number.isInteger(index) && index >= 0 && index < args.length) {
      out += template.slice(i, open) + String(args[index]);
      i = close + 1;
    } else {
      out += template.slice(i, open + 1);
      i = open + 1;
    }
  }
  return out as UiText;
}

/** Joins UiText with a separator of ours (a literal). */
export function uiJoin(parts: ReadonlyArray<UiText | undefined | false | ''>, separator: string): UiText {
  return parts.filter((p): p is UiText => Boolean(p)).join(separator) as UiText;
}

/** A literal of ours that needs no translation (a key name, a symbol). Lint allows only string literals here. */
export function uiLiteral(text: string): UiText {
  return text as UiText;
}

/** An empty UiText. */
export const UI_EMPTY = '' as UiText;
