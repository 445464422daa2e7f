// A message as Markdown for an issue tracker ("Copy as Markdown"), and the new-issue page of the
// workspace's GitHub or GitLab remote with that Markdown as its body ("Open as New Issue": a plain
// browser URL, no token). Sender text is escaped so it shows as written on GitHub / GitLab and can
// never become a link, an image or HTML there.
import { type Address, formatAddresses, fullDate, trimChars } from '../text';

/** The message fields Copy as Markdown uses. */
export interface ShareableMessage {
  subject?: string;
  from?: Address[];
  to?: Address[];
  cc?: Address[];
  date?: Date;
  messageId?: string;
  /** Decoded plain text of the body. */
  text: string;
}

// CommonMark's escapable ASCII punctuation that can start or shape markup, plus "<" and "&" (HTML).
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+\-.!|<>&~=:]/g;

/** Escapes text so CommonMark / GFM renders it literally (no emphasis, links, autolinks, HTML). */
export function escapeMarkdown(text: string): string {
  return text.replace(MARKDOWN_SPECIAL, (c) => (c === '<' ? '&lt;' : c === '&' ? '&amp;' : c === '>' ? '&gt;' : `\\${c}`));
}

const MAX_BODY_LINES = 2000;

/**
 * Headers as a small list, then the body as a block quote; `link` (a "Copy Link to Message" URI)
 * is added as the source when given. Line ends are LF.
 */
export function messageAsMarkdown(message: ShareableMessage, link?: string): string {
  const line = (name: string, value: string) => (value ? [`**${name}:** ${escapeMarkdown(value)}  `] : []);
  const head = [
    ...line('From', formatAddresses(message.from)),
    ...line('To', formatAddresses(message.to)),
    ...line('Cc', formatAddresses(message.cc)),
    ...line('Date', message.date ? fullDate(message.date) : ''),
    ...line('Subject', message.subject ?? ''),
    ...(link ? [`**Message:** <${link.replace(/[<>\s]/g, encodeURIComponent)}>  `] : []),
  ];
  const lines = trimChars(message.text.replace(/\r\n?/g, '\n'), '\n', 'end').split('\n');
  const cut = lines.length > MAX_BODY_LINES;
  const body = lines.slice(0, MAX_BODY_LINES).map((l) => (l.trim() ? `> ${escapeMarkdown(l)}` : '>'));
  if (cut) {
    body.push('>', `> \\[${lines.length - MAX_BODY_LINES} more lines\\]`);
  }
  return `${head.join('\n')}\n\n${body.join('\n')}\n`;
}

export interface ForgeRepository {
  kind: 'github' | 'gitlab';
  /** https://host */
  origin: string;
  /** owner/name, or group/subgroup/name on GitLab. */
  path: string;
}

/**
 * The forge behind a git remote URL: https://github.com/o/r(.git), git@github.com:o/r.git,
 * ssh://git@gitlab.example.com/g/sub/r.git. GitHub is github.com (or a host starting with
 * "github."); GitLab is gitlab.com or a host whose name has "gitlab" in it. Undefined otherwise.
 */
export function forgeOf(remoteUrl: string): ForgeRepository | undefined {
  const url = remoteUrl.trim();
  let host: string;
  let path: string;
  const scp = /^[\w.-]{1,64}@([\w.-]{1,253}):(?!\/)(.{1,500})$/.exec(url);
  if (scp) {
    host = scp[1];
    path = scp[2];
  } else {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(parsed.protocol)) {
      return undefined;
    }
    host = parsed.hostname;
    path = decodeURIComponent(parsed.pathname);
  }
  host = host.toLowerCase();
  path = trimChars(path.replace(/^\/+/, '').replace(/\.git$/, ''), '/', 'end');
  const segments = path.split('/');
  if (segments.length < 2 || segments.some((s) => !/^[\w.-]{1,100}$/.test(s))) {
    return undefined;
  }
  if (host === 'github.com' || host.startsWith('github.')) {
    return segments.length === 2 ? { kind: 'github', origin: `https://${host}`, path } : undefined;
  }
  if (host === 'gitlab.com' || host.includes('gitlab')) {
    return { kind: 'gitlab', origin: `https://${host}`, path };
  }
  return undefined;
}

/** Browsers and forges refuse very long URLs; the body is cut to stay under this. */
export const MAX_ISSUE_URL = 8000;

/** The forge's new-issue page with title and body filled in. */
export function newIssueUrl(forge: ForgeRepository, title: string, body: string): string {
  const base = forge.kind === 'github' ? `${forge.origin}/${forge.path}/issues/new` : `${forge.origin}/${forge.path}/-/issues/new`;
  const build = (text: string) => {
    const params = new URLSearchParams(forge.kind === 'github' ? { title, body: text } : { 'issue[title]': title, 'issue[description]': text });
    return `${base}?${params.toString()}`;
  };
  let text = body;
  let url = build(text);
  for (let i = 0; url.length > MAX_ISSUE_URL && i < 20; i++) {
    const keep = Math.floor(text.length * (MAX_ISSUE_URL / url.length) * 0.9);
    text = `${text.slice(0, keep).replace(/\n[^\n]*$/, '')}\n>\n> \\[cut: the message is longer\\]\n`;
    url = build(text);
  }
  return url;
}

/**
 * The remotes of a git config file (git-config(1) syntax): each `[remote "name"]` section's first
 * `url`. Only what Open as New Issue needs, for a repository whose git extension is out of reach
 * (read through vscode.workspace.fs); quoted values and `\` escapes as git-config writes them.
 */
export function parseGitRemotes(config: string): Array<{ name: string; url: string }> {
  const out: Array<{ name: string; url: string }> = [];
  let remote: string | undefined;
  for (const rawLine of config.split('\n')) {
    const line = rawLine.trim();
    if (line.startsWith('[')) {
      const section = /^\[\s*remote\s+"((?:[^"\\]|\\.){1,200})"\s*\]/i.exec(line);
      remote = section ? section[1].replace(/\\(.)/g, '$1') : undefined;
      continue;
    }
    const entry = remote !== undefined ? /^url\s*=\s*(.{1,2000})$/i.exec(line) : null;
    if (entry && remote !== undefined && !out.some((r) => r.name === remote)) {
      let value = entry[1].replace(/\s[#;].*$/, '').trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
        value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      }
      out.push({ name: remote, url: value });
    }
  }
  return out;
}
