// The workspace's part of the message view: a patch mail shown as commit message and coloured
// diff, and the stack frames of a plain-text body as links into the workspace. The view model
// names links by index only; the host keeps what it resolved and opens exactly that.
import * as vscode from 'vscode';
import { type LoadedMessage } from '../core/render/viewModel';
import { codeLinkedDocument, patchDocument } from '../core/workspace/mailView';
import { type MessageWorkspace } from '../messageView/messageView';
import { type CodeLinkResolver, openReference } from './codeLinks';

export function messageWorkspace(resolver: CodeLinkResolver): MessageWorkspace {
  return {
    patchDocument: (message: LoadedMessage) => (message.text ? patchDocument(message.text) : undefined),
    codeLinks: async (message: LoadedMessage) => {
      const text = message.text;
      if (!text) {
        return undefined;
      }
      const resolved = await resolver.resolveAll(text);
      if (!resolved.length) {
        return undefined;
      }
      const ranges = resolved.map(({ reference, resolution }) => ({
        start: reference.start,
        end: reference.end,
        title: resolution.kind === 'file'
          ? vscode.l10n.t('Open {0}, line {1}', vscode.workspace.asRelativePath(resolution.uri), reference.line)
          : vscode.l10n.t('{0} workspace files match: choose one', resolution.uris.length),
      }));
      return {
        document: codeLinkedDocument(text, ranges),
        open: async (index: number) => {
          const target = resolved[index];
          if (target) {
            await openReference(target);
          }
        },
      };
    },
  };
}
