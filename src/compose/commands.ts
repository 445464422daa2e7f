// Compose commands: new message (from an account, or with files from the Explorer), reply,
// reply all, forward, and the actions on an open draft.
import * as vscode from 'vscode';
import { type CommandTable } from '../util/commands';
import { type Composer } from './composer';

async function documentOf(arg: unknown): Promise<vscode.TextDocument | undefined> {
  if (arg instanceof vscode.Uri) {
    return vscode.workspace.openTextDocument(arg);
  }
  return vscode.window.activeTextEditor?.document;
}

export function composeCommands(composer: Composer): CommandTable {
  return {
    'imapExplorer.newMessage': (arg?: unknown) => composer.newMessage(arg),
    'imapExplorer.reply': (...args: unknown[]) => composer.reply(args, false),
    'imapExplorer.replyAll': (...args: unknown[]) => composer.reply(args, true),
    'imapExplorer.forward': (...args: unknown[]) => composer.forward(args),
    'imapExplorer.sendAsAttachment': (uri?: vscode.Uri, uris?: vscode.Uri[]) => {
      const files = (uris?.length ? uris : uri ? [uri] : []).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
      return composer.newMessage(undefined, files);
    },
    'imapExplorer.send': async (arg?: unknown) => composer.send(await documentOf(arg)),
    'imapExplorer.saveDraft': async (arg?: unknown) => composer.saveDraft(await documentOf(arg)),
    'imapExplorer.discardDraft': async (arg?: unknown) => composer.discard(await documentOf(arg)),
    'imapExplorer.attachFile': async (arg?: unknown) => composer.attach(await documentOf(arg)),
  };
}
