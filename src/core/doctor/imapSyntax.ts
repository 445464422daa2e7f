// Just enough IMAP syntax (RFC 3501 section 9) to read the answers the doctor asks for: atoms,
// quoted strings, literals, parenthesised lists and NIL; LIST, STATUS, ID and CAPABILITY lines.

export type Token = string | null | Token[];

/** Tokenizes the text of one response (after "* LIST " or similar). */
export function tokenize(text: string): Token[] {
  let pos = 0;
  const list = (closing: string | undefined): Token[] => {
    const out: Token[] = [];
    while (pos < text.length) {
      const c = text[pos];
      if (c === ' ' || c === '\r' || c === '\n') {
        pos++;
      } else if (c === ')' && closing === ')') {
        pos++;
        return out;
      } else if (c === '(') {
        pos++;
        out.push(list(')'));
      } else if (c === '"') {
        let value = '';
        pos++;
        while (pos < text.length && text[pos] !== '"') {
          if (text[pos] === '\\' && pos + 1 < text.length) {
            pos++;
          }
          value += text[pos++];
        }
        pos++;
        out.push(value);
      } else if (c === '{') {
        const match = /^\{(\d+)\+?\}\r\n/.exec(text.slice(pos));
        if (!match) {
          out.push(text.slice(pos));
          return out;
        }
        pos += match[0].length;
        const size = Number(match[1]);
        // literals count bytes; the text is decoded, so count back in UTF-8
        let end = pos;
        let bytes = 0;
        while (end < text.length && bytes < size) {
          bytes += Buffer.byteLength(text[end]);
          end++;
        }
        out.push(text.slice(pos, end));
        pos = end;
      } else {
        const match = /^[^\s()"{]+/.exec(text.slice(pos));
        const atom = match ? match[0] : text[pos];
        pos += atom.length;
        out.push(atom.toUpperCase() === 'NIL' ? null : atom);
      }
    }
    return out;
  };
  return list(undefined);
}

/** RFC 3501 5.1.3 modified UTF-7 ("&AOk-" for "é"), as mailbox names are sent. */
export function decodeMailboxName(name: string): string {
  // a scan, not /&([^-]*)-/g: that rescans a run of '&' without '-' from each one (quadratic)
  let out = '';
  let i = 0;
  while (i < name.length) {
    const amp = name.indexOf('&', i);
    const dash = amp < 0 ? -1 : name.indexOf('-', amp + 1);
    if (amp < 0 || dash < 0) {
      out += name.slice(i);
      break;
    }
    out += name.slice(i, amp) + decodeShift(name.slice(amp + 1, dash));
    i = dash + 1;
  }
  return out;
}

function decodeShift(b64: string): string {
  if (!b64) {
    return '&';
  }
  const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
  }
  return out;
}

/** Splits "[CODE args] text" into its response code and the human text. */
export function responseCode(text: string): { code?: string; args?: string; text: string } {
  const match = /^\[([-.A-Z0-9]+)(?: ([^\]]*))?\]/i.exec(text);
  return match ? { code: match[1].toUpperCase(), args: match[2], text: text.slice(match[0].length).trimStart() } : { text };
}

/** Capability names from "* CAPABILITY ..." or a [CAPABILITY ...] response code. */
export function parseCapabilities(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((c) => c.toUpperCase());
}

export interface ListEntry {
  flags: string[];
  delimiter: string | null;
  name: string;
}

/** One "* LIST (flags) delim name" line; undefined when it is not one. */
export function parseList(line: string): ListEntry | undefined {
  const match = /^\* (?:X?LIST|LSUB) (.*)$/is.exec(line);
  if (!match) {
    return undefined;
  }
  const [flags, delimiter, name] = tokenize(match[1]);
  if (!Array.isArray(flags) || typeof name !== 'string') {
    return undefined;
  }
  return { flags: flags.filter((f): f is string => typeof f === 'string'), delimiter: typeof delimiter === 'string' ? delimiter : null, name: decodeMailboxName(name) };
}

/** "* STATUS name (MESSAGES 3 UNSEEN 1 ...)" as a map of upper-case item names to values. */
export function parseStatus(line: string): Map<string, string> | undefined {
  const match = /^\* STATUS (.*)$/is.exec(line);
  if (!match) {
    return undefined;
  }
  const tokens = tokenize(match[1]);
  const items = tokens[tokens.length - 1];
  if (!Array.isArray(items)) {
    return undefined;
  }
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i];
    const value = items[i + 1];
    if (typeof key === 'string' && typeof value === 'string') {
      out.set(key.toUpperCase(), value);
    }
  }
  return out;
}

/** "* ID ("name" "Dovecot" ...)" as a record; null for "* ID NIL". */
export function parseId(line: string): Record<string, string> | null | undefined {
  const match = /^\* ID (.*)$/is.exec(line);
  if (!match) {
    return undefined;
  }
  const [fields] = tokenize(match[1]);
  if (!Array.isArray(fields)) {
    return null;
  }
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i];
    const value = fields[i + 1];
    if (typeof key === 'string' && typeof value === 'string') {
      out[key.toLowerCase()] = value;
    }
  }
  return out;
}

/** A quoted string for a command argument; undefined when the value needs a literal (CR, LF, 8-bit). */
export function quoted(value: string): string | undefined {
  return /[\r\n\u0080-\uffff\0]/.test(value) ? undefined : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The LOGIN command for a user and password, with what the transcript shows instead of the
 * password. Values a quoted string cannot carry (8-bit, CR, LF) go as literals (RFC 3501 4.3), each
 * sent after the server's "+" go-ahead.
 */
export function loginCommand(user: string, password: string): { command: string; shown: string; continuations: Array<{ data: string; shown: string }> } {
  const quotedUser = quoted(user);
  const quotedPassword = quoted(password);
  if (quotedUser && quotedPassword) {
    return { command: `LOGIN ${quotedUser} ${quotedPassword}`, shown: `LOGIN ${quotedUser} (redacted)`, continuations: [] };
  }
  const userBytes = Buffer.byteLength(user);
  const passwordBytes = Buffer.byteLength(password);
  return {
    command: `LOGIN {${userBytes}}`,
    shown: `LOGIN {${userBytes}}`,
    continuations: [
      { data: `${user} {${passwordBytes}}`, shown: `${user} {${passwordBytes}}` },
      { data: password, shown: '(redacted)' },
    ],
  };
}
