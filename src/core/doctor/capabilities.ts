// What the IMAP extensions a server announces after login mean for a mail client, in words.
import { type CapabilityInfo } from './types';

interface Meaning {
  /** The capability, or a prefix ending in "=" (THREAD=, COMPRESS=). */
  name: string;
  label: string;
  present: string;
  absent: string;
}

const MEANINGS: Meaning[] = [
  { name: 'IDLE', label: 'IDLE', present: 'Push: new mail shows up at once, without polling (RFC 2177).', absent: 'No push: the client has to poll for new mail.' },
  { name: 'MOVE', label: 'MOVE', present: 'Moving a message is one atomic command (RFC 6851).', absent: 'Moving is copy, mark deleted, expunge: slower, and an interruption can leave a copy behind.' },
  { name: 'UIDPLUS', label: 'UIDPLUS', present: 'The server reports the new UIDs of moved and uploaded messages, so moves can be followed and undone safely (RFC 4315).', absent: 'A moved or saved message has to be searched for again; undo is less reliable.' },
  { name: 'CONDSTORE', label: 'CONDSTORE', present: 'Changes are numbered (MODSEQ): a resync fetches only what changed (RFC 7162).', absent: 'A resync has to compare every message\'s flags.' },
  { name: 'QRESYNC', label: 'QRESYNC', present: 'Quick resync: reopening a folder also reports deleted messages in one round trip (RFC 7162).', absent: 'Finding deleted messages after a reconnect needs a full UID listing.' },
  { name: 'SPECIAL-USE', label: 'SPECIAL-USE', present: 'Folders are marked Sent, Drafts, Trash, Junk, Archive (RFC 6154).', absent: 'Special folders have to be guessed from their names.' },
  { name: 'LIST-STATUS', label: 'LIST-STATUS', present: 'The folder list comes with unread counts in one command (RFC 5819).', absent: 'Unread counts need one STATUS command per folder.' },
  { name: 'SORT', label: 'SORT', present: 'The server can sort messages itself (RFC 5256).', absent: 'Sorting by anything but arrival needs the headers of the whole folder.' },
  { name: 'THREAD=', label: 'THREAD', present: 'The server can group messages into conversations (RFC 5256).', absent: 'Conversations have to be built by the client.' },
  { name: 'COMPRESS=', label: 'COMPRESS', present: 'Traffic can be compressed (RFC 4978): faster on slow links.', absent: 'No compression: large folder listings cost more on slow links.' },
  { name: 'PREVIEW', label: 'PREVIEW', present: 'The server can send a short text preview of each message (RFC 8970).', absent: 'Previews need part of each message body.' },
];

function has(capabilities: string[], name: string): string | undefined {
  return capabilities.find((c) => (name.endsWith('=') ? c.startsWith(name) : c === name || c.startsWith(`${name}=`)));
}

/** Each extension the client cares about, present or not, with its meaning. */
export function describeCapabilities(capabilities: string[]): CapabilityInfo[] {
  const upper = capabilities.map((c) => c.toUpperCase());
  return MEANINGS.map((m) => {
    const found = has(upper, m.name);
    const variants = m.name.endsWith('=') ? upper.filter((c) => c.startsWith(m.name)) : found && found !== m.name ? [found] : [];
    return { name: variants.length ? variants.join(' ') : m.label, present: Boolean(found), meaning: found ? m.present : m.absent };
  });
}

/** Password mechanisms the doctor (and the app, through imapflow) can use. */
export const PASSWORD_MECHANISMS = ['PLAIN', 'LOGIN'];
export const OAUTH_MECHANISMS = ['XOAUTH2', 'OAUTHBEARER'];

export function authMechanisms(capabilities: string[]): string[] {
  return capabilities.filter((c) => /^AUTH=/i.test(c)).map((c) => c.slice(5).toUpperCase());
}
