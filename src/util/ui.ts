// The only module that hands text to VS Code's own UI. Every function takes UiText (made only by
// src/core/uiText.ts: sender text through uiPlain, our sentences through t()) and encodes it for
// its surface with encodeForSurface at the last moment. test/eslint.config.mjs forbids the raw
// calls (showInformationMessage, withProgress, showQuickPick, createStatusBarItem, new TreeItem,
// MarkdownString...) everywhere else, so a subject or an attachment name can never become a
// Markdown or `command:` link, nor a codicon.
import * as vscode from 'vscode';
import { folderDisplayName } from '../core/mail/folderName';
import { encodeForSurface, type UiSurface, type UiText, uiPlain as uiPlainText } from '../core/uiText';

export { type UiText, uiFormat, uiJoin, uiLines, uiLiteral, uiPlain, uiVerbatim, UI_EMPTY } from '../core/uiText';

/** Our own sentence, translated (vscode.l10n.t), with `{0}`... filled by UiText or numbers. Lint requires a string literal. */
export function t(message: string, ...args: Array<UiText | number | boolean>): UiText {
  return vscode.l10n.t(message, ...args) as UiText;
}

const enc = (surface: UiSurface, text: UiText): string => encodeForSurface(surface, text);

/** Resolves to the button chosen (the same UiText object), or undefined. Buttons are ours. */
async function notify(show: (message: string, ...items: string[]) => Thenable<string | undefined>, message: UiText, buttons: UiText[]): Promise<UiText | undefined> {
  const labels = buttons.map((b) => enc('notification', b));
  const choice = await show(enc('notification', message), ...labels);
  return choice === undefined ? undefined : buttons[labels.indexOf(choice)];
}

/** A non-modal information toast. Not awaited by callers that do not need the answer. */
export function showInfo(message: UiText, ...buttons: UiText[]): Promise<UiText | undefined> {
  return notify((m, ...i) => vscode.window.showInformationMessage(m, ...i), message, buttons);
}

/** A non-modal warning toast. */
export function showWarning(message: UiText, ...buttons: UiText[]): Promise<UiText | undefined> {
  return notify((m, ...i) => vscode.window.showWarningMessage(m, ...i), message, buttons);
}

/** A non-modal error toast. */
export function showError(message: UiText, ...buttons: UiText[]): Promise<UiText | undefined> {
  return notify((m, ...i) => vscode.window.showErrorMessage(m, ...i), message, buttons);
}

export interface ModalOptions {
  detail?: UiText;
  severity?: 'info' | 'warning';
}

/**
 * A modal dialog; resolves to the chosen button or undefined (Cancel, Escape). Put the safe choice
 * first when the dialog warns: VS Code focuses the first button.
 */
export async function showModal(message: UiText, options: ModalOptions, ...buttons: UiText[]): Promise<UiText | undefined> {
  const labels = buttons.map((b) => enc('modal', b));
  const opts: vscode.MessageOptions = { modal: true, ...(options.detail ? { detail: enc('modal', options.detail) } : {}) };
  const choice = options.severity === 'info'
    ? await vscode.window.showInformationMessage(enc('modal', message), opts, ...labels)
    : await vscode.window.showWarningMessage(enc('modal', message), opts, ...labels);
  return choice === undefined ? undefined : buttons[labels.indexOf(choice)];
}

export interface UiProgress {
  report(value: { message?: UiText; increment?: number }): void;
}

/** A progress notification (or window/status bar progress) whose title is UiText. */
export function withProgress<R>(
  options: { title: UiText; location?: 'notification' | 'window'; cancellable?: boolean },
  task: (progress: UiProgress, token: vscode.CancellationToken) => Thenable<R>,
): Thenable<R> {
  return vscode.window.withProgress(
    {
      location: options.location === 'window' ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification,
      title: enc('progress', options.title),
      cancellable: options.cancellable ?? false,
    },
    (progress, token) =>
      task({ report: (v) => progress.report({ ...(v.message !== undefined ? { message: enc('progress', v.message) } : {}), ...(v.increment !== undefined ? { increment: v.increment } : {}) }) }, token),
  );
}

/** A short message in the status bar. */
export function setStatusBarMessage(text: UiText, hideAfterMs: number): vscode.Disposable {
  return vscode.window.setStatusBarMessage(enc('statusBar', text), hideAfterMs);
}

export interface UiQuickPickItem {
  label: UiText;
  description?: UiText;
  detail?: UiText;
  iconPath?: vscode.ThemeIcon;
  /** A separator row (label only). */
  separator?: boolean;
  picked?: boolean;
}

function toQuickPickItem(item: UiQuickPickItem): vscode.QuickPickItem {
  return {
    label: enc('quickPick', item.label),
    ...(item.description ? { description: enc('quickPick', item.description) } : {}),
    ...(item.detail ? { detail: enc('quickPick', item.detail) } : {}),
    ...(item.iconPath ? { iconPath: item.iconPath } : {}),
    ...(item.separator ? { kind: vscode.QuickPickItemKind.Separator } : {}),
    ...(item.picked ? { picked: true } : {}),
  };
}

export interface UiQuickPickOptions {
  title?: UiText;
  placeHolder?: UiText;
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
  ignoreFocusOut?: boolean;
}

/** A quick pick over items of any shape with UiText labels; resolves to the item picked (the same object). */
export async function showQuickPick<T extends UiQuickPickItem>(items: readonly T[], options: UiQuickPickOptions = {}): Promise<T | undefined> {
  const shown = items.map((item) => ({ ...toQuickPickItem(item), item }));
  const picked = await vscode.window.showQuickPick(shown, {
    ...(options.title ? { title: enc('quickPick', options.title) } : {}),
    ...(options.placeHolder ? { placeHolder: enc('quickPick', options.placeHolder) } : {}),
    matchOnDescription: options.matchOnDescription ?? false,
    matchOnDetail: options.matchOnDetail ?? false,
    ignoreFocusOut: options.ignoreFocusOut ?? false,
  });
  return picked?.item;
}

/**
 * A quick pick of check boxes (canPickMany) over items with UiText labels; `picked` items start
 * checked. Resolves to the items checked when the user accepted (the same objects), or undefined
 * when they dismissed it.
 */
export async function showQuickPickMany<T extends UiQuickPickItem>(items: readonly T[], options: UiQuickPickOptions = {}): Promise<T[] | undefined> {
  const shown = items.map((item) => ({ ...toQuickPickItem(item), item }));
  const picked = await vscode.window.showQuickPick(shown, {
    canPickMany: true,
    ...(options.title ? { title: enc('quickPick', options.title) } : {}),
    ...(options.placeHolder ? { placeHolder: enc('quickPick', options.placeHolder) } : {}),
    matchOnDescription: options.matchOnDescription ?? false,
    ignoreFocusOut: options.ignoreFocusOut ?? false,
  });
  return picked?.map((p) => p.item);
}

/**
 * A quick pick that also accepts what the user typed: resolves to the label of the item picked
 * (as the caller gave it, not encoded) or the trimmed text typed, or undefined.
 */
export function pickOrType(items: readonly UiText[], options: { title: UiText; placeHolder: UiText; newItemDescription: UiText }): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { value: string }>();
  pick.title = enc('quickPick', options.title);
  pick.placeholder = enc('quickPick', options.placeHolder);
  const base = items.map((label) => ({ label: enc('quickPick', label), value: String(label) }));
  pick.items = base;
  return new Promise((resolve) => {
    let done = false;
    pick.onDidChangeValue((value) => {
      const typed = value.trim();
      const fresh = typed && !items.includes(typed as UiText) ? [{ label: enc('quickPick', typed as UiText), description: enc('quickPick', options.newItemDescription), value: typed }] : [];
      pick.items = [...fresh, ...base];
    });
    pick.onDidAccept(() => {
      done = true;
      resolve(pick.selectedItems[0]?.value ?? (pick.value.trim() || undefined));
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!done) {
        resolve(undefined);
      }
      pick.dispose();
    });
    pick.show();
  });
}

export interface UiInputBoxOptions {
  title?: UiText;
  prompt?: UiText;
  placeHolder?: UiText;
  /** The editable text: an input field shows it literally. */
  value?: string;
  password?: boolean;
  ignoreFocusOut?: boolean;
  validateInput?(value: string): UiText | undefined;
}

/** An input box whose title, prompt and validation messages are UiText. */
export function showInputBox(options: UiInputBoxOptions): Thenable<string | undefined> {
  const validate = options.validateInput;
  return vscode.window.showInputBox({
    ...(options.title ? { title: enc('inputTitle', options.title) } : {}),
    ...(options.prompt ? { prompt: enc('inputPrompt', options.prompt) } : {}),
    ...(options.placeHolder ? { placeHolder: enc('inputTitle', options.placeHolder) } : {}),
    ...(options.value !== undefined ? { value: options.value } : {}),
    password: options.password ?? false,
    ignoreFocusOut: options.ignoreFocusOut ?? false,
    ...(validate ? { validateInput: (value: string) => { const m = validate(value); return m ? enc('inputPrompt', m) : undefined; } } : {}),
  });
}

/** A status bar item whose text (after an optional codicon of ours) and tooltip are UiText. */
export class UiStatusBarItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(id: string, alignment: 'left' | 'right', priority: number, name: UiText) {
    this.item = vscode.window.createStatusBarItem(id, alignment === 'left' ? vscode.StatusBarAlignment.Left : vscode.StatusBarAlignment.Right, priority);
    this.item.name = enc('statusBarTooltip', name);
  }

  set command(command: string | undefined) {
    this.item.command = command;
  }

  /** `icon` is a codicon id of ours (e.g. 'mail'); `text` is shown as text. */
  update(options: { icon?: string; text: UiText; tooltip?: UiText; accessibilityLabel?: UiText }): void {
    const icon = options.icon && /^[a-z0-9-]+$/.test(options.icon) ? `$(${options.icon}) ` : '';
    this.item.text = `${icon}${enc('statusBar', options.text)}`;
    this.item.tooltip = options.tooltip ? enc('statusBarTooltip', options.tooltip) : undefined;
    this.item.accessibilityInformation = options.accessibilityLabel ? { label: enc('statusBarTooltip', options.accessibilityLabel) } : undefined;
  }

  show(): void {
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}

export interface UiTreeItemOptions {
  description?: UiText;
  /** Always a plain string: never a MarkdownString built from sender text. */
  tooltip?: UiText;
  accessibilityLabel?: UiText;
}

/** A tree row whose label, description and tooltip are UiText, set as plain text. */
export function treeItem(label: UiText, collapsibleState: vscode.TreeItemCollapsibleState, options: UiTreeItemOptions = {}): vscode.TreeItem {
  const item = new vscode.TreeItem(enc('tree', label), collapsibleState);
  setTreeText(item, options);
  return item;
}

/** Sets (or clears, with undefined) the description, tooltip and accessibility label of a tree row. */
export function setTreeText(item: vscode.TreeItem, options: UiTreeItemOptions): void {
  if ('description' in options) {
    item.description = options.description ? enc('tree', options.description) : undefined;
  }
  if ('tooltip' in options) {
    item.tooltip = options.tooltip ? enc('tree', options.tooltip) : undefined;
  }
  if ('accessibilityLabel' in options) {
    item.accessibilityInformation = options.accessibilityLabel ? { label: enc('tree', options.accessibilityLabel) } : undefined;
  }
}

/** A webview panel or tab title: set as plain text by VS Code. */
export function panelTitle(text: UiText): string {
  return enc('tree', text);
}

/** The unread badge of a view (a count and a plain tooltip), or none. */
export function setBadge(view: vscode.TreeView<unknown>, value: number, tooltip: UiText): void {
  view.badge = value > 0 ? { value, tooltip: enc('tree', tooltip) } : undefined;
}

/** A folder as users see it, "Triage / Confirmed" (see folderDisplayName), as UiText. */
export function uiFolder(path: string, delimiter: string | null | undefined): UiText {
  return uiPlainText(folderDisplayName(path, delimiter));
}

/** A row of a liveQuickPick: `fill` puts `value` into the input and stays open, `accept` resolves with it, `none` does nothing. */
export interface UiLiveItem {
  label: UiText;
  description?: UiText;
  iconPath?: vscode.ThemeIcon;
  value: string;
  action: 'accept' | 'fill' | 'none';
}

/**
 * A quick pick whose rows follow what is typed (completions, history, an error with its column):
 * resolves to what the user accepted (an `accept` row's value, or the typed text when no row is
 * active), or undefined when it was closed. Rows are always shown, in the order given.
 */
export function liveQuickPick(options: { title: UiText; placeHolder: UiText; value?: string; items(value: string): UiLiveItem[] }): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { live: UiLiveItem }>();
  pick.title = enc('quickPick', options.title);
  pick.placeholder = enc('quickPick', options.placeHolder);
  const update = (value: string) => {
    pick.items = options.items(value).map((live) => ({
      label: enc('quickPick', live.label),
      ...(live.description ? { description: enc('quickPick', live.description) } : {}),
      ...(live.iconPath ? { iconPath: live.iconPath } : {}),
      alwaysShow: true,
      live,
    }));
  };
  if (options.value) {
    pick.value = options.value;
  }
  update(pick.value);
  return new Promise((resolve) => {
    let done = false;
    pick.onDidChangeValue(update);
    pick.onDidAccept(() => {
      const live = pick.activeItems[0]?.live;
      if (live?.action === 'fill') {
        pick.value = live.value;
        update(live.value);
        return;
      }
      if (live?.action === 'none') {
        return;
      }
      done = true;
      resolve(live ? live.value : pick.value.trim() || undefined);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!done) {
        resolve(undefined);
      }
      pick.dispose();
    });
    pick.show();
  });
}
