// The workspace's part of the message view: a patch mail shown as commit message and coloured
// diff (from its body or from a patch attachment), and in a plain-text or HTML body the stack
// frames (resolved against the workspace) and the commit hashes (that name commits of the
// workspace's repository) as links. The view model names links by index only; the host keeps
// what it resolved and opens exactly that.
import * as vscode from 'vscode';
import { type LoadedMessage } from '../core/render/viewModel';
import { findCommitCandidates } from '../core/workspace/codeRefs';
import { type GitRunner } from '../core/workspace/gitRunner';
import { attachedPatchDocument, codeLinkedDocument, type CodeLinkRange, htmlBodyText, htmlCodeLinks, patchDocument } from '../core/workspace/mailView';
import { isPatchPart } from '../core/workspace/patchMail';
import { type MessageWorkspace } from '../messageView/messageView';
import { type CodeLinkResolver, existingCommits, openReference, showCommit } from './codeLinks';

type Target = CodeLinkRange & { open(): Promise<void> };

/** A patch attachment larger than this is not shown as a diff in the view (Open as Diff still works). */
const MAX_PATCH_ATTACHMENT_BYTES = 2 * 1024 * 1024;

export function messageWorkspace(resolver: CodeLinkResolver, git: () => Promise<GitRunner | undefined>): MessageWorkspace {
  /** The stack frames and commits of `text`, resolved, sorted by offset. */
  const targetsIn = async (text: string): Promise<Target[]> => {
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
    return targets.sort((a, b) => a.start - b.start);
  };
  return {
    patchDocument: (message: LoadedMessage) => (message.text ? patchDocument(message.text) : undefined),
    attachedPatch: async (message, read) => {
      const attachment = message.attachments.find((a) => isPatchPart(a.contentType, a.filename) && a.size <= MAX_PATCH_ATTACHMENT_BYTES);
      if (!attachment) {
        return undefined;
      }
      const bytes = await read(attachment.part, MAX_PATCH_ATTACHMENT_BYTES);
      return attachedPatchDocument(message.text, bytes.toString('utf8'));
    },
    codeLinks: async (message: LoadedMessage, body) => {
      if (body.kind === 'html') {
        const text = htmlBodyText(body.texts);
        const targets = await targetsIn(text.text);
        return targets.length ? { links: htmlCodeLinks(text, targets), open: async (index: number) => targets[index]?.open() } : undefined;
      }
      const text = message.text;
      if (!text) {
        return undefined;
      }
      const targets = await targetsIn(text);
      return targets.length ? { document: codeLinkedDocument(text, targets), open: async (index: number) => targets[index]?.open() } : undefined;
    },
  };
}
