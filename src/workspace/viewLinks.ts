// The workspace's part of the message view: a patch mail shown as commit message and coloured
// diff, and in a plain-text body the stack frames (resolved against the workspace) and the commit
// hashes (that name commits of the workspace's repository) as links. The view model names links
// by index only; the host keeps what it resolved and opens exactly that.
import * as vscode from 'vscode';
import { type LoadedMessage } from '../core/render/viewModel';
import { findCommitCandidates } from '../core/workspace/codeRefs';
import { type GitRunner } from '../core/workspace/gitRunner';
import { codeLinkedDocument, type CodeLinkRange, patchDocument } from '../core/workspace/mailView';
import { type MessageWorkspace } from '../messageView/messageView';
import { type CodeLinkResolver, existingCommits, openReference, showCommit } from './codeLinks';

type Target = CodeLinkRange & { open(): Promise<void> };

export function messageWorkspace(resolver: CodeLinkResolver, git: () => Promise<GitRunner | undefined>): MessageWorkspace {
  return {
    patchDocument: (message: LoadedMessage) => (message.text ? patchDocument(message.text) : undefined),
    codeLinks: async (message: LoadedMessage) => {
      const text = message.text;
      if (!text) {
        return undefined;
      }
      const targets: Target[] = (await resolver.resolveAll(text)).map((resolved) => {
        const { reference, resolution } = resolved;
        return {
          start: reference.start,
          end: reference.end,
          title: resolution.kind === 'file'
            ? vscode.l10n.t('Open {0}, line {1}', vscode.workspace.asRelativePath(resolution.uri), reference.line)
            : vscode.l10n.t('{0} workspace files match: choose one', resolution.uris.length),
          open: () => openReference(resolved),
        };
      });
      const candidates = findCommitCandidates(text);
      if (candidates.length) {
        const host = await git().catch(() => undefined);
        const commits = host ? await existingCommits(host, candidates.map((c) => c.hash)).catch(() => new Map<string, string>()) : new Map<string, string>();
        for (const c of candidates) {
          const sha = commits.get(c.hash);
          if (sha && !targets.some((t) => c.start < t.end && t.start < c.end)) {
            targets.push({ start: c.start, end: c.end, title: vscode.l10n.t('Show commit {0}', sha.slice(0, 12)), open: () => showCommit(sha) });
          }
        }
      }
      if (!targets.length) {
        return undefined;
      }
      targets.sort((a, b) => a.start - b.start);
      return {
        document: codeLinkedDocument(text, targets),
        open: async (index: number) => {
          await targets[index]?.open();
        },
      };
    },
  };
}
