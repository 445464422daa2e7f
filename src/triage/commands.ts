// Triage commands: one table, each entry forwarding to the Triage service. Row commands get
// (row, selectedRows) from VS Code; keybindings pass { source: 'tree' }; the message view passes
// the message's reference.
import { type CommandTable } from '../util/commands';
import { type Triage } from './triage';

function isToggle(args: unknown[]): boolean {
  return (args[0] as { toggle?: unknown } | undefined)?.toggle === true;
}

export function triageCommands(triage: Triage): CommandTable {
  return {
    'imapExplorer.toggleFlag': (...args: unknown[]) => triage.flag(args, '\\Flagged'),
    // from the key (S), Flag and Unflag toggle like Toggle Flag: they carry the key so that their inline icons show it
    'imapExplorer.flag': (...args: unknown[]) => triage.flag(args, '\\Flagged', isToggle(args) ? undefined : true),
    'imapExplorer.unflag': (...args: unknown[]) => triage.flag(args, '\\Flagged', isToggle(args) ? undefined : false),
    'imapExplorer.markRead': (...args: unknown[]) => triage.flag(args, '\\Seen', true),
    'imapExplorer.markUnread': (...args: unknown[]) => triage.flag(args, '\\Seen', false),
    'imapExplorer.toggleRead': (...args: unknown[]) => triage.flag(args, '\\Seen'),
    'imapExplorer.addKeyword': (...args: unknown[]) => triage.keyword(args, true),
    'imapExplorer.removeKeyword': (...args: unknown[]) => triage.keyword(args, false),
    'imapExplorer.moveTo': (...args: unknown[]) => triage.moveTo(args),
    'imapExplorer.copyTo': (...args: unknown[]) => triage.moveTo(args, true),
    'imapExplorer.archive': (...args: unknown[]) => triage.toRole(args, 'archive'),
    'imapExplorer.markJunk': (...args: unknown[]) => triage.toRole(args, 'junk'),
    'imapExplorer.delete': (...args: unknown[]) => triage.delete(args),
    'imapExplorer.undo': () => triage.undo(),
    'imapExplorer.newFolder': (node?: unknown) => triage.newFolder(node),
    'imapExplorer.renameFolder': (node?: unknown) => triage.renameFolder(node),
    'imapExplorer.deleteFolder': (node?: unknown) => triage.deleteFolder(node),
    'imapExplorer.subscribeFolder': (node?: unknown) => triage.subscribe(node, true),
    'imapExplorer.unsubscribeFolder': (node?: unknown) => triage.subscribe(node, false),
  };
}
