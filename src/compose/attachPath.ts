// Where the path on an "Attach:" line of a draft points, for sending and for completion.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';

/**
 * The file an "Attach:" line names: an absolute path, a file: URI, "~/..." in the home folder, or
 * a path relative to the first workspace folder. Undefined when it names nothing usable.
 */
export function attachmentPath(value: string): string | undefined {
  const path = value.trim().replace(/^"(.*)"$/, '$1');
  if (/^file:\/\//i.test(path)) {
    return vscode.Uri.parse(path).fsPath;
  }
  if (path === '~' || path.startsWith('~/')) {
    return join(homedir(), path.slice(1));
  }
  if (isAbsolute(path)) {
    return path;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && path ? join(folder.uri.fsPath, path) : undefined;
}
