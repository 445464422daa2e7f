// Address lists as people write them ("Doe, Jane" <jane@x.test>, =?UTF-8?...?= names, groups):
// parsing, formatting back into a header line, and the reply arithmetic that depends on them.
import addressparser from 'nodemailer/lib/addressparser';
import { type Address, decodeWords } from '../text';

export interface Mailbox {
  name: string;
  address: string;
}

export function normalizeAddress(address: string | undefined): string {
  return (address ?? '').trim().toLowerCase();
}

/** Parses a header value or what the user typed into To/Cc/Bcc; groups are flattened. */
export function parseAddressList(value: string): Mailbox[] {
  if (!value.trim()) {
    return [];
  }
  return addressparser(value, { flatten: true })
    .filter((a) => a.address && a.address.includes('@'))
    .map((a) => ({ name: decodeWords(a.name ?? '').trim(), address: a.address.trim() }));
}

/** Quotes a display name when it needs it (commas, quotes, specials of RFC 5322 3.2.3). */
export function formatMailbox(mailbox: Mailbox): string {
  const name = mailbox.name.replace(/[\r\n]+/g, ' ').trim();
  if (!name || normalizeAddress(name) === normalizeAddress(mailbox.address)) {
    return mailbox.address;
  }
  const needsQuotes = /[()<>[\]:;@\\,."]/.test(name);
  return `${needsQuotes ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name} <${mailbox.address}>`;
}

export function formatAddressList(list: Mailbox[]): string {
  return list.map(formatMailbox).join(', ');
}

export function fromEnvelope(list: Address[] | undefined): Mailbox[] {
  return (list ?? []).filter((a) => a.address).map((a) => ({ name: decodeWords(a.name ?? '').trim(), address: a.address!.trim() }));
}

/** Removes duplicates (case-insensitive address) and the given addresses, keeping the first form. */
export function dedupe(list: Mailbox[], without: Iterable<string> = []): Mailbox[] {
  const seen = new Set([...without].map(normalizeAddress));
  const out: Mailbox[] = [];
  for (const mailbox of list) {
    const key = normalizeAddress(mailbox.address);
    if (!key || seen.has(key)) {
      continue;
    }
    seen.add(key);
    out.push(mailbox);
  }
  return out;
}
