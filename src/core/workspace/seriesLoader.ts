// Everything "Apply to Workspace" and "Open as Diff" need from the server for one patch message:
// the newest version of its series among the folder's messages, the review replies' trailers, and
// each part's raw bytes (BODY[] as stored: `git am` must see what was sent, not decoded text).
import { type ImapFlow } from 'imapflow';
import { MailError } from '../errors';
import { type MessageSummary } from '../mail/headers';
import { fetchSource, loadImapMessage } from '../mail/messageLoader';
import { textOf } from '../compose/original';
import { isPatch, parsePatchSubject } from './patchMail';
import { collectTrailers, groupSeries, type PatchSeries, seriesFor, type ThreadMessage, type Trailer } from './series';
import { plainLabel } from '../text';

/** The largest patch mail fetched whole. */
export const MAX_PATCH_BYTES = 50 * 1024 * 1024;
const MAX_REPLIES = 200;

export interface SeriesMessage extends ThreadMessage {
  uid: number;
  summary: MessageSummary;
}

export interface LoadedPart {
  uid: number;
  /** 1-based part number (1 for a lone patch). */
  index: number;
  label: string;
  raw: Buffer;
  trailers: Trailer[];
}

export interface LoadedSeries {
  /** The series applied (the newest version), undefined for a lone patch mail without a tag. */
  series?: PatchSeries<SeriesMessage>;
  /** The version of the message the user picked, when it is not the newest. */
  pickedVersion?: number;
  parts: LoadedPart[];
  missing: number[];
  /** Suggested branch title words: the series' title. */
  title: string;
}

export function threadMessages(summaries: MessageSummary[]): SeriesMessage[] {
  return summaries.map((s) => ({
    key: String(s.uid),
    uid: s.uid,
    summary: s,
    ...(s.messageId ? { messageId: s.messageId } : {}),
    ...(s.inReplyTo ? { inReplyTo: s.inReplyTo } : {}),
    subject: s.subject,
    ...(s.from[0]?.address ? { from: s.from[0].address } : {}),
    ...(s.date ? { date: s.date } : {}),
  }));
}

/** The messages of `all` that answer (directly or down a thread) one of `roots`, patches excluded. */
export function repliesTo<T extends ThreadMessage>(all: T[], roots: T[]): T[] {
  const ids = new Set(roots.map((r) => r.messageId?.toLowerCase()).filter(Boolean));
  const out: T[] = [];
  // a few passes reach replies to replies without building a tree
  for (let pass = 0; pass < 6; pass++) {
    let grew = false;
    for (const m of all) {
      if (out.includes(m) || roots.includes(m) || !m.inReplyTo || !ids.has(m.inReplyTo.toLowerCase())) {
        continue;
      }
      if (parsePatchSubject(m.subject)) {
        continue;
      }
      out.push(m);
      if (m.messageId) {
        ids.add(m.messageId.toLowerCase());
      }
      grew = true;
    }
    if (!grew) {
      break;
    }
  }
  return out.slice(0, MAX_REPLIES);
}

/**
 * Loads the series of message `uid` from folder `path` (the caller passes the header summaries it
 * has for that folder; the selected message must be among them). Runs on `client` with the folder
 * selected (the caller holds the mailbox lock).
 */
export async function loadSeries(client: ImapFlow, summaries: MessageSummary[], uid: number): Promise<LoadedSeries> {
  const messages = threadMessages(summaries);
  const picked = messages.find((m) => m.uid === uid);
  if (!picked) {
    throw new MailError('NOT_FOUND', 'This message is no longer in the folder.');
  }
  const all = groupSeries(messages);
  const found = seriesFor(all, picked);
  const raw = async (m: SeriesMessage) => {
    const { source, truncated } = await fetchSource(client, m.uid, MAX_PATCH_BYTES);
    if (truncated) {
      throw new MailError('INVALID_INPUT', `The patch "${plainLabel(m.subject, 80)}" is larger than ${MAX_PATCH_BYTES / 1024 / 1024} MB.`);
    }
    return source;
  };
  if (!found || (found.series.total === 1 && !found.newest.parts[0])) {
    if (!isPatch(picked.summary) && !parsePatchSubject(picked.subject)) {
      throw new MailError('INVALID_INPUT', 'This message is not a patch.');
    }
    return { parts: [{ uid: picked.uid, index: 1, label: plainLabel(picked.subject, 120), raw: await raw(picked), trailers: [] }], missing: [], title: parsePatchSubject(picked.subject)?.title ?? picked.subject ?? '' };
  }
  const series = found.newest;
  const members = [series.cover, ...series.parts].filter((p): p is NonNullable<typeof p> => Boolean(p)).map((p) => p.message);
  // in the order they arrived: trailers are added in the order they were given
  const replies = repliesTo(messages, members).sort((a, b) => a.uid - b.uid);
  const texts = [];
  for (const reply of replies) {
    const loaded = await loadImapMessage(client, reply.uid, reply.summary);
    texts.push({ ...(reply.inReplyTo ? { inReplyTo: reply.inReplyTo } : {}), text: textOf(loaded) });
  }
  const trailers = collectTrailers(series, texts, messages);
  const parts: LoadedPart[] = [];
  for (const [i, part] of series.parts.entries()) {
    if (part) {
      parts.push({ uid: part.message.uid, index: i + 1, label: plainLabel(part.message.subject, 120), raw: await raw(part.message), trailers: trailers.get(i + 1) ?? [] });
    }
  }
  return {
    series,
    ...(found.series.version !== series.version ? { pickedVersion: found.series.version } : {}),
    parts,
    missing: series.missing,
    title: series.title,
  };
}
