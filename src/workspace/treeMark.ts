// How a patch mail looks in the Mail tree (issue 14): its own icon, and ":patch" (a patch) or
// ":series" (a series' cover letter) appended to the row's contextValue, so the patch commands
// appear in the row's context menu (package.json matches them by regex).
import * as vscode from 'vscode';
import { type PatchCandidate, patchRowKind } from '../core/workspace/patchMail';

/** Marks a message row built from `summary`; rows that are not patch mail stay as they are. */
export function markPatchRow(item: vscode.TreeItem, summary: PatchCandidate, state: { unread: boolean; flagged: boolean; deleted: boolean }): void {
  const kind = patchRowKind(summary);
  if (!kind) {
    return;
  }
  item.contextValue = `${item.contextValue ?? 'message'}:${kind}`;
  // a flag and a pending deletion say more than "patch"; unread keeps the unread colour
  if (!state.flagged && !state.deleted) {
    item.iconPath = new vscode.ThemeIcon(kind === 'series' ? 'git-pull-request' : 'diff', state.unread ? new vscode.ThemeColor('charts.blue') : undefined);
  }
}
