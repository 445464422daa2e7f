// Pure decisions about a message's MIME structure (BODYSTRUCTURE): which part to show, which
// images are inline (cid:), which parts are attachments. Only the chosen parts are downloaded.
import { type MessageStructureObject } from 'imapflow';
import { decode as decodeCharset } from 'libmime/lib/charset';
import libmime from 'libmime';
import { plainLabel } from '../text';

export interface PartRef {
  part: string;
  type: string;
  charset?: string;
  size?: number;
  flowed?: boolean;
  delSp?: boolean;
}

export interface AttachmentInfo {
  part: string;
  filename: string;
  contentType: string;
  size: number;
  contentId?: string;
}

export interface DisplayPlan {
  html?: PartRef;
  text?: PartRef;
  /** Content-ID (without angle brackets, lower-case) to the part holding that inline image. */
  inline: Map<string, PartRef & { filename: string }>;
  attachments: AttachmentInfo[];
}

const IMAGE_TYPES = new Set(['image/png', 'image/gif', 'image/jpeg', 'image/jpg', 'image/webp', 'image/bmp']);

export function normaliseCid(id: string | undefined): string | undefined {
  if (!id) {
    return undefined;
  }
  const value = id.trim().replace(/^<|>$/g, '').trim().toLowerCase();
  return value || undefined;
}

function partOf(node: MessageStructureObject): string {
  // A single-part message has no part number in BODYSTRUCTURE; its body is part 1 (RFC 3501 6.4.5).
  return node.part ?? '1';
}

function refOf(node: MessageStructureObject): PartRef {
  const params = node.parameters ?? {};
  const ref: PartRef = { part: partOf(node), type: node.type.toLowerCase() };
  if (params.charset) {
    ref.charset = params.charset;
  }
  if (node.size !== undefined) {
    ref.size = node.size;
  }
  if ((params.format ?? '').toLowerCase() === 'flowed') {
    ref.flowed = true;
    ref.delSp = (params.delsp ?? '').toLowerCase() === 'yes';
  }
  return ref;
}

function filenameOf(node: MessageStructureObject): string | undefined {
  const raw = node.dispositionParameters?.filename ?? node.parameters?.name;
  return raw ? plainLabel(raw, 180) || undefined : undefined;
}

const EXTENSIONS: Record<string, string> = {
  'text/plain': 'txt',
  'text/html': 'html',
  'message/rfc822': 'eml',
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'text/x-diff': 'diff',
  'text/x-patch': 'patch',
  'application/zip': 'zip',
};

function attachmentOf(node: MessageStructureObject): AttachmentInfo {
  const type = node.type.toLowerCase();
  let filename = filenameOf(node);
  if (!filename && type === 'message/rfc822' && node.envelope?.subject) {
    filename = `${plainLabel(node.envelope.subject, 120)}.eml`;
  }
  const info: AttachmentInfo = {
    part: partOf(node),
    filename: filename ?? `part-${partOf(node)}.${EXTENSIONS[type] ?? 'bin'}`,
    contentType: type,
    size: node.size ?? 0,
  };
  const cid = normaliseCid(node.id);
  if (cid) {
    info.contentId = cid;
  }
  return info;
}

function isAttachmentLeaf(node: MessageStructureObject): boolean {
  const type = node.type.toLowerCase();
  const disposition = (node.disposition ?? '').toLowerCase();
  if (disposition === 'attachment') {
    return true;
  }
  if (type === 'text/plain' || type === 'text/html') {
    return Boolean(filenameOf(node)) && disposition !== 'inline';
  }
  return true;
}

/** Pure: decides what to download and show for a message. */
export function planDisplay(structure: MessageStructureObject): DisplayPlan {
  const plan: DisplayPlan = { inline: new Map(), attachments: [] };

  const visit = (node: MessageStructureObject, context: 'body' | 'other'): void => {
    const type = node.type.toLowerCase();
    if (node.childNodes && type.startsWith('multipart/')) {
      if (type === 'multipart/alternative') {
        visitAlternative(node, context);
      } else if (type === 'multipart/related') {
        visitRelated(node, context);
      } else {
        node.childNodes.forEach((child, i) => visit(child, i === 0 ? context : 'other'));
      }
      return;
    }
    if (context === 'body' && !isAttachmentLeaf(node)) {
      if (type === 'text/html' && !plan.html) {
        plan.html = refOf(node);
        return;
      }
      if (type === 'text/plain' && !plan.text) {
        plan.text = refOf(node);
        return;
      }
    }
    if (context === 'other' && !isAttachmentLeaf(node) && !plan.html && !plan.text) {
      // a mixed message whose first part was an attachment: the first text part is the body
      visit(node, 'body');
      return;
    }
    plan.attachments.push(attachmentOf(node));
  };

  const visitAlternative = (node: MessageStructureObject, context: 'body' | 'other') => {
    const children = node.childNodes ?? [];
    // RFC 2046 5.1.4: the last alternative is the richest; we show HTML and keep plain text as fallback
    const html = [...children].reverse().find((c) => c.type.toLowerCase() === 'text/html' || c.type.toLowerCase() === 'multipart/related');
    const text = children.find((c) => c.type.toLowerCase() === 'text/plain');
    if (context === 'body') {
      if (html) {
        visit(html, 'body');
      }
      if (text && !plan.text) {
        plan.text = refOf(text);
      }
      for (const child of children) {
        if (child !== html && child !== text && child.type.toLowerCase().startsWith('multipart/')) {
          visit(child, 'other');
        }
      }
    } else {
      children.forEach((c) => visit(c, 'other'));
    }
  };

  const visitRelated = (node: MessageStructureObject, context: 'body' | 'other') => {
    const children = node.childNodes ?? [];
    const start = normaliseCid(node.parameters?.start);
    const root = (start && children.find((c) => normaliseCid(c.id) === start)) || children[0];
    if (root) {
      visit(root, context);
    }
    for (const child of children) {
      if (child === root) {
        continue;
      }
      const cid = normaliseCid(child.id);
      const type = child.type.toLowerCase();
      if (cid && IMAGE_TYPES.has(type)) {
        plan.inline.set(cid, { ...refOf(child), filename: attachmentOf(child).filename });
      } else {
        visit(child, 'other');
      }
    }
  };

  visit(structure, 'body');
  return plan;
}

/** For the tree's paperclip: does the message carry anything but its body and inline images? */
export function hasAttachments(structure: MessageStructureObject | undefined): boolean {
  return structure ? planDisplay(structure).attachments.length > 0 : false;
}

/** Decodes a downloaded text part (transfer encoding already removed) into a string. */
export function decodeText(content: Buffer, ref: Pick<PartRef, 'charset' | 'flowed' | 'delSp'>): string {
  let text: string;
  try {
    text = decodeCharset(content, ref.charset || 'utf-8');
  } catch {
    text = content.toString('latin1');
  }
  if (ref.flowed) {
    text = libmime.decodeFlowed(text, ref.delSp);
  }
  return text;
}

export function cidReferences(html: string): Set<string> {
  const found = new Set<string>();
  for (const match of html.matchAll(/cid:([^"'\s)>]+)/gi)) {
    const cid = normaliseCid(decodeURIComponentSafe(match[1]));
    if (cid) {
      found.add(cid);
    }
  }
  return found;
}

export function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
