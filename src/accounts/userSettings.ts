// Settings that decide where credentials go or what content is trusted are read from the user's
// own settings only. They are `application`-scoped in package.json, so VS Code itself keeps a
// workspace from setting them; we still read them with inspect() and take only the user value, so
// a value a workspace sets anyway (an older VS Code, a mis-scoped copy) never takes effect, and we
// say so instead of ignoring it silently.
import * as vscode from 'vscode';
import { showWarning, t, uiPlain } from '../util/ui';

/** The keys (under `imapExplorer.`) that a workspace can never set. */
export const USER_ONLY_SETTINGS = ['accounts', 'remoteContent.trustedSenders', 'remoteContent.authservIds', 'cache.enabled'] as const;
export type UserOnlySetting = (typeof USER_ONLY_SETTINGS)[number];

interface Reporter {
  log: vscode.LogOutputChannel;
  /** Keys already reported in this window, so the warning shows once per key and value. */
  reported: Map<string, string>;
}

let reporter: Reporter | undefined;

/**
 * Where ignored workspace values are reported (the extension's log and one warning). VS Code
 * drops application-scoped keys from workspace settings before inspect() sees them, so the
 * workspace's settings files are also read (as text, never applied) to tell the user.
 */
export function reportIgnoredWorkspaceSettings(log: vscode.LogOutputChannel): vscode.Disposable {
  reporter = { log, reported: new Map() };
  const scan = () => void scanWorkspaceSettings().catch((err: unknown) => log.debug(`Settings: cannot read the workspace settings: ${String(err)}`));
  const watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/settings.json');
  const subscriptions = [watcher, watcher.onDidChange(scan), watcher.onDidCreate(scan), vscode.workspace.onDidChangeWorkspaceFolders(scan)];
  scan();
  return {
    dispose: () => {
      reporter = undefined;
      subscriptions.forEach((s) => s.dispose());
    },
  };
}

const KEY_IN_FILE = new RegExp(`"imapExplorer\\.(${USER_ONLY_SETTINGS.map((k) => k.replace(/\./g, '\\.')).join('|')})"\\s*:`, 'g');

/** Reports user-only keys found in the workspace's settings files (.vscode/settings.json, the .code-workspace file). */
async function scanWorkspaceSettings(): Promise<void> {
  const files = [
    ...(vscode.workspace.workspaceFolders ?? []).map((f) => [vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'), 'workspace folder'] as const),
    ...(vscode.workspace.workspaceFile?.scheme === 'file' ? [[vscode.workspace.workspaceFile, 'workspace'] as const] : []),
  ];
  for (const [uri, level] of files) {
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      continue;
    }
    const keys = [...new Set([...text.matchAll(KEY_IN_FILE)].map((m) => m[1] as UserOnlySetting))];
    if (keys.length) {
      report(keys, [level], uri.toString());
    }
  }
}

function workspaceLevels<T>(inspected: ReturnType<vscode.WorkspaceConfiguration['inspect']> & object): Array<[string, T]> {
  const levels: Array<[string, unknown]> = [
    ['workspace', inspected.workspaceValue],
    ['workspace folder', inspected.workspaceFolderValue],
    ['workspace (language)', inspected.workspaceLanguageValue],
    ['workspace folder (language)', inspected.workspaceFolderLanguageValue],
  ];
  return levels.filter(([, value]) => value !== undefined) as Array<[string, T]>;
}

function report(keys: UserOnlySetting[], levels: string[], value: unknown): void {
  if (!reporter) {
    return;
  }
  const fresh = keys.filter((key) => {
    const fingerprint = `${levels.join(',')}:${JSON.stringify(value)}`;
    if (reporter!.reported.get(key) === fingerprint) {
      return false;
    }
    reporter!.reported.set(key, fingerprint);
    return true;
  });
  if (!fresh.length) {
    return;
  }
  for (const key of fresh) {
    reporter.log.warn(
      `Settings: imapExplorer.${key} is set in the ${levels.join(' and ')} settings; it is ignored. Settings that decide where passwords go or what mail may load are read from your user settings only.`,
    );
  }
  void showWarning(
    t(
      'This workspace sets {0}. Mail settings that decide where your passwords go or what mail may load are read from your user settings only, so the workspace value is ignored.',
      uiPlain(fresh.map((key) => `imapExplorer.${key}`).join(', ')),
    ),
  );
}

/**
 * The user-settings value of an application-scoped setting (`globalValue`), else its default.
 * Workspace and folder values are never used; when present they are reported once.
 */
export function userSetting<T>(key: UserOnlySetting, fallback: T): T {
  const inspected = vscode.workspace.getConfiguration('imapExplorer').inspect<T>(key);
  if (!inspected) {
    return fallback;
  }
  const ignored = workspaceLevels<T>(inspected);
  if (ignored.length) {
    report([key], ignored.map(([level]) => level), ignored.map(([, value]) => value));
  }
  return inspected.globalValue ?? inspected.defaultValue ?? fallback;
}
