// The oracle of the end-to-end suite: what the Mail view shows must be what Dovecot holds. It
// reads the screen (every row of the tree, scrolling through it; the activity bar badge; the
// status bar item) and the server (`doveadm fetch`, `doveadm mailbox status`, never our code),
// and waits until they agree: for each expanded folder the rows (subject, unread / flag icon,
// order newest first by arrival) are the server's newest messages by UID, as many as are shown;
// every folder row's count, the badge and the status bar are the server's unread counts. A view
// that does not converge within the bound fails with the difference.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Page } from 'playwright-core';
import { decodeWords, plainLabel } from '../../src/core/text';
import { type DovecotServer } from '../support/dovecot';

export interface OracleOptions {
  server: DovecotServer;
  /** Which Dovecot user each account row (by its label) shows. */
  users: Record<string, string>;
  /** How long the view may take to show what the server holds, in ms. */
  timeoutMs?: number;
}

interface Row {
  index: number;
  level: number;
  expanded: boolean | undefined;
  label: string;
  description: string;
  icon: string;
}

/** The rows of the Mail view in order, scrolling through all of them (the list draws only what is visible). */
async function readTree(page: Page): Promise<Row[]> {
  const snapshot = () => page.evaluate(() => {
    const rows = [...document.querySelectorAll('.pane-body .monaco-list-row[role="treeitem"]')] as HTMLElement[];
    const container = document.querySelector('.pane-body .monaco-list-rows') as HTMLElement | null;
    return {
      height: container ? container.getBoundingClientRect().height : 0,
      rows: rows.map((row) => ({
        index: Number(row.dataset.index),
        level: Number(row.getAttribute('aria-level')),
        expanded: row.hasAttribute('aria-expanded') ? row.getAttribute('aria-expanded') === 'true' : undefined,
        label: (row.querySelector('.label-name') as HTMLElement | null)?.innerText ?? '',
        description: (row.querySelector('.label-description') as HTMLElement | null)?.innerText ?? '',
        icon: [...(row.querySelector('.custom-view-tree-node-item-icon')?.classList ?? [])].find((c) => c.startsWith('codicon-') && c !== 'codicon') ?? '',
      })),
    };
  });
  // a wheel event on the list itself: the pointer may be anywhere (over a hover, a toast)
  const wheel = (deltaY: number) => page.evaluate(async (dy) => {
    const list = document.querySelector('.pane-body .monaco-list .monaco-scrollable-element');
    list?.dispatchEvent(new WheelEvent('wheel', { deltaY: dy, deltaMode: 0, bubbles: true, cancelable: true }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  }, deltaY);
  const lowest = (rows: Row[]) => Math.min(...rows.map((r) => r.index));
  const seen = new Map<number, Row>();
  const start = await snapshot();
  const firstIndex = start.rows.length ? lowest(start.rows) : 0;
  for (let i = 0; i < 100 && lowest((await snapshot()).rows) > 0; i++) {
    await wheel(-2000);
  }
  const total = Math.round(start.height / 22);
  for (let step = 0; step < 400; step++) {
    const now = await snapshot();
    now.rows.forEach((r) => seen.set(r.index, r));
    if (!now.rows.length || Math.max(...now.rows.map((r) => r.index)) >= total - 1) {
      break;
    }
    await wheel(300);
  }
  // back to where the journey was
  for (let i = 0; i < 400 && lowest((await snapshot()).rows) < firstIndex; i++) {
    await wheel(22);
  }
  for (let i = 0; i < 400 && lowest((await snapshot()).rows) > firstIndex; i++) {
    await wheel(-22);
  }
  const rows = [...seen.values()].sort((a, b) => a.index - b.index);
  if (rows.length && rows.some((r, i) => r.index !== i)) {
    throw new Error(`read ${rows.length} of the rows only (${rows.map((r) => r.index).join(',')})`);
  }
  return rows;
}

/** A patch mail's row shows a diff (a series' cover letter a pull request) instead of its read state. */
const PATCH_ICONS = ['codicon-diff', 'codicon-git-pull-request'];
const MESSAGE_ICONS = new Set(['codicon-mail', 'codicon-mail-read', 'codicon-star-full', 'codicon-reply', 'codicon-trash', ...PATCH_ICONS]);

interface ServerMessage {
  uid: number;
  flags: string[];
  received: string;
  subject: string;
}

function doveadmJson<T>(server: DovecotServer, args: string[]): T {
  return JSON.parse(server.doveadm(['-f', 'json', ...args])) as T;
}

function serverMessages(server: DovecotServer, user: string, folder: string): ServerMessage[] {
  const rows = doveadmJson<Array<Record<string, string>>>(server, ['fetch', '-u', user, 'uid flags date.received hdr.subject', 'mailbox', folder, 'all']);
  return rows.map((r) => ({
    uid: Number(r.uid),
    flags: r.flags.split(' ').filter((f) => f && f !== '\\Recent'),
    received: r['date.received'],
    // folded encoded words join without the space between them (RFC 2047 6.2)
    subject: plainLabel(decodeWords(r['hdr.subject'].replace(/\?=\r?\n[ \t]+=\?/g, '?==?').replace(/\r?\n[ \t]+/g, ' '))) || '(no subject)',
  }));
}

function serverUnseen(server: DovecotServer, user: string, folder: string): number | undefined {
  try {
    const [status] = doveadmJson<Array<Record<string, string>>>(server, ['mailbox', 'status', '-u', user, 'unseen', folder]);
    return Number(status.unseen);
  } catch (err) {
    // a \Noselect container has no status; anything else is a failure to read the server
    if (/isn't selectable|doesn't exist|not selectable/i.test(String(err))) {
      return undefined;
    }
    throw err;
  }
}

/** The icon a message row must have for its flags (the tree's precedence). */
function iconFor(flags: string[]): string {
  const has = (f: string) => flags.some((x) => x.toLowerCase() === f.toLowerCase());
  return has('\\Deleted') ? 'codicon-trash' : has('\\Flagged') ? 'codicon-star-full' : !has('\\Seen') ? 'codicon-mail' : has('\\Answered') ? 'codicon-reply' : 'codicon-mail-read';
}

/** What differs between the screen and the server now; empty when they agree. */
async function differences(page: Page, options: OracleOptions): Promise<string[]> {
  const rows = await readTree(page);
  if (process.env.ORACLE_TRACE) {
    process.stderr.write(`oracle: ${rows.length} rows: ${rows.map((r) => `${r.index}/${r.level}${r.expanded === undefined ? '' : r.expanded ? '+' : '-'} ${r.icon.replace('codicon-', '')} ${r.label} [${r.description}]`).join(' | ')}\n`);
  }
  const problems: string[] = [];
  let user: string | undefined;
  let account = '';
  const path: string[] = [];
  let inboxUnseen = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row.level === 1) {
      account = row.label;
      user = options.users[row.label];
      if (!user) {
        problems.push(`no Dovecot user known for the account row "${row.label}"`);
      } else {
        inboxUnseen += serverUnseen(options.server, user, 'INBOX') ?? 0;
      }
      path.length = 0;
      continue;
    }
    if (row.expanded === undefined || !user) {
      continue;
    }
    // a folder row: its name, under its parents
    path.length = row.level - 2;
    path.push(row.label);
    const folder = path.join('.');
    const where = `${account} / ${folder}`;
    const unseen = serverUnseen(options.server, user, folder);
    if (unseen !== undefined && row.description.trim() !== (unseen > 0 ? String(unseen) : '')) {
      problems.push(`${where}: the row says "${row.description.trim()}" unread, the server has ${unseen}`);
    }
    if (!row.expanded || unseen === undefined) {
      continue;
    }
    const children: Row[] = [];
    for (let j = i + 1; j < rows.length && rows[j].level > row.level; j++) {
      if (rows[j].level === row.level + 1) {
        children.push(rows[j]);
      }
    }
    if (children.some((c) => c.icon === 'codicon-loading')) {
      problems.push(`${where}: still loading`);
      continue;
    }
    const shown = children.filter((c) => c.expanded === undefined && MESSAGE_ICONS.has(c.icon));
    const more = children.some((c) => c.icon === 'codicon-fold-down');
    const held = serverMessages(options.server, user, folder).sort((a, b) => b.uid - a.uid);
    if (more ? shown.length >= held.length : shown.length !== held.length) {
      problems.push(`${where}: ${shown.length} rows${more ? ' and Load more' : ''}, the server holds ${held.length}`);
    }
    // the window is the newest UIDs, shown newest first by arrival
    const expected = held.slice(0, shown.length).sort((a, b) => b.received.localeCompare(a.received) || b.uid - a.uid);
    const screen = shown.map((r) => `${r.icon.replace('codicon-', '')} ${r.label}`);
    // a patch row's icon stands for its read state (flagged and deleted keep theirs: src/workspace/treeMark.ts)
    const server = expected.map((m, k) => {
      const icon = iconFor(m.flags);
      const onScreen = shown[k]?.icon ?? '';
      const patch = PATCH_ICONS.includes(onScreen) && ['codicon-mail', 'codicon-mail-read', 'codicon-reply'].includes(icon);
      return `${(patch ? onScreen : icon).replace('codicon-', '')} ${m.subject}`;
    });
    if (screen.join('\n') !== server.join('\n')) {
      problems.push(`${where}: rows differ\n  screen: ${screen.join(' | ')}\n  server: ${server.join(' | ')}`);
    }
  }
  const badge = (await page.locator('.activitybar .action-item', { has: page.locator('[aria-label^="Mail"]') }).locator('.badge-content').first().innerText({ timeout: 1000 }).catch(() => '')).trim();
  if (badge !== (inboxUnseen > 0 ? String(inboxUnseen) : '')) {
    problems.push(`the badge says "${badge}", the server has ${inboxUnseen} unread in INBOX`);
  }
  const status = page.locator('.statusbar-item[id$="imapExplorer.unread"]');
  const statusText = (await status.isVisible()) ? (await status.innerText()).trim() : '';
  if (process.env.ORACLE_TRACE) {
    process.stderr.write(`oracle: badge "${badge}", status bar "${statusText}", INBOX unread on the server ${inboxUnseen}\n`);
  }
  if (statusText !== (inboxUnseen > 0 ? String(inboxUnseen) : '')) {
    problems.push(`the status bar says "${statusText}", the server has ${inboxUnseen} unread in INBOX`);
  }
  return problems;
}

/**
 * Waits until the Mail view shows what Dovecot holds, or fails with what differs. Call it after
 * every step that changes mail (ours or another client's).
 */
export async function expectServerState(page: Page, options: OracleOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let problems: string[] = [];
  for (;;) {
    problems = await differences(page, options).catch((err: unknown) => [`cannot compare: ${err instanceof Error ? err.message : String(err)}`]);
    if (!problems.length) {
      return;
    }
    if (process.env.ORACLE_TRACE) {
      process.stderr.write(`oracle: not yet:\n${problems.join('\n')}\n`);
    }
    if (Date.now() > deadline) {
      throw new Error(`The Mail view does not show what the server holds:\n${problems.join('\n')}`);
    }
    await page.waitForTimeout(300);
  }
}

/**
 * Waits until the header cache on disk (the extension's global storage under `userDataDir`) holds
 * `folder` as the server does: its newest UID, and the flags of every cached message. Call it
 * before a restart that must start from the cache: the cache is written a moment after a change.
 */
export async function expectCacheHolds(options: { server: DovecotServer; user: string; folder: string; userDataDir: string; timeoutMs?: number }): Promise<void> {
  const root = join(options.userDataDir, 'User', 'globalStorage');
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let problem = '';
  for (;;) {
    const held = new Map(serverMessages(options.server, options.user, options.folder).map((m) => [m.uid, m.flags.slice().sort().join(' ')]));
    const newest = Math.max(0, ...held.keys());
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /header-cache[\\/]v\d+[\\/][0-9a-f]+[\\/][0-9a-f]+\.json$/.test(f));
    const candidates = files.map((f) => {
      try {
        return JSON.parse(readFileSync(join(root, f), 'utf8')) as { path?: string; messages?: Array<{ uid: number; flags: string[] }> };
      } catch {
        return undefined;
      }
    }).filter((c) => c?.path === options.folder && Array.isArray(c.messages));
    // (one file per account that has this folder: any of them may be the one)
    const problems = candidates.map((cached) => {
      const messages = cached!.messages!;
      const wrong = messages.filter((m) => held.get(m.uid) !== m.flags.filter((f) => f !== '\\Recent').sort().join(' '));
      return !messages.some((m) => m.uid === newest) ? `the cache of ${options.folder} lacks UID ${newest}` : wrong.length ? `the cache of ${options.folder} has other flags for UIDs ${wrong.map((m) => m.uid).join(', ')}` : '';
    });
    problem = !candidates.length ? `no cache file for ${options.folder}` : problems.includes('') ? '' : problems.join('; ');
    if (!problem) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`The header cache does not hold what the server holds: ${problem}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
