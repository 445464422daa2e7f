// The draft as the user edits it: a header block (From, To, Cc, Bcc, Subject, Attach) and, after
// the first empty line, the body in Markdown. What the editor does not show (which message it
// answers, its Message-ID, the copy in the Drafts folder) lives in DraftMeta, saved beside it.
export interface DraftHeaders {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  /** File paths, or "original:<part>" for an attachment of the forwarded message. */
  attach: string[];
}

export interface MessageLocation {
  accountId: string;
  path: string;
  uid: number;
  uidValidity?: string;
}

export interface DraftMeta {
  id: string;
  accountId: string;
  kind: 'new' | 'reply' | 'replyAll' | 'forward';
  /** Generated once: a retried send after a failure keeps the same Message-ID. */
  messageId: string;
  inReplyTo?: string;
  references?: string;
  /** The message answered or forwarded (gets \Answered or $Forwarded after sending). */
  original?: MessageLocation;
  /** Forward as a message/rfc822 attachment instead of inline. */
  forwardAsAttachment?: boolean;
  /** Attachments of the forwarded message, by part, for "original:<part>" lines. */
  originalParts?: Array<{ part: string; filename: string; contentType: string; size: number }>;
  /** A patch review ("Reply with review"): on sending, only the commented hunks stay (trimReview). */
  review?: boolean;
  /** The copy saved in the account's Drafts folder (replaced on each Save Draft). */
  draftCopy?: { path: string; uid?: number; messageId: string };
  created: string;
}

const ORDER: Array<[keyof Omit<DraftHeaders, 'attach'>, string]> = [
  ['from', 'From'],
  ['to', 'To'],
  ['cc', 'Cc'],
  ['bcc', 'Bcc'],
  ['subject', 'Subject'],
];

export function renderDraft(headers: DraftHeaders, body: string): string {
  const lines = ORDER.map(([key, name]) => `${name}: ${headers[key].replace(/[\r\n]+/g, ' ')}`.trimEnd());
  for (const file of headers.attach) {
    lines.push(`Attach: ${file}`);
  }
  if (!headers.attach.length) {
    // always there, so a reader sees where files go: a path after it attaches the file
    lines.push('Attach:');
  }
  return `${lines.join('\n')}\n\n${body}`;
}

export interface ParsedDraft {
  headers: DraftHeaders;
  body: string;
  /** Lines of the header block we did not understand (shown to the user). */
  unknown: string[];
}

/** Parses the editor text. Tolerant: header lines end at the first empty line; folded lines continue. */
export function parseDraft(text: string): ParsedDraft {
  const normalized = text.replace(/\r\n?/g, '\n');
  const split = normalized.indexOf('\n\n');
  const head = split >= 0 ? normalized.slice(0, split) : normalized;
  const body = split >= 0 ? normalized.slice(split + 2) : '';
  const headers: DraftHeaders = { from: '', to: '', cc: '', bcc: '', subject: '', attach: [] };
  const unknown: string[] = [];
  let last: keyof DraftHeaders | undefined;
  for (const line of head.split('\n')) {
    if (/^\s/.test(line) && last && last !== 'attach') {
      headers[last] = `${headers[last]} ${line.trim()}`.trim();
      continue;
    }
    const match = /^([A-Z-]+):\s?(.*)$/i.exec(line);
    const name = match?.[1].toLowerCase();
    if (!match) {
      if (line.trim()) {
        unknown.push(line);
      }
      continue;
    }
    if (name === 'attach' || name === 'attachment') {
      if (match[2].trim()) {
        headers.attach.push(match[2].trim());
      }
      last = 'attach';
    } else if (name === 'from' || name === 'to' || name === 'cc' || name === 'bcc' || name === 'subject') {
      headers[name] = match[2].trim();
      last = name;
    } else {
      unknown.push(line);
    }
  }
  return { headers, body, unknown };
}

/** Where the body starts (line index), for the CodeLens and for the cursor. */
export function bodyLine(text: string): number {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const empty = lines.findIndex((l) => l.trim() === '');
  return empty >= 0 ? empty + 1 : lines.length;
}
