// The IMAP steps after login: what the extensions mean for a client, the folders and their
// special uses, the INBOX counters, and how long a command takes. Message contents stay out of the
// transcript: the one envelope fetched is timed, never shown.
import { describeCapabilities } from './capabilities';
import { capabilitiesOf, type ImapConversation, runCommand } from './imapConversation';
import { parseList, parseStatus } from './imapSyntax';
import { type CheckContext } from './steps';
import { type FolderReport, type ImapReport, type MailboxReport } from './types';

export async function extensionsStep(ctx: CheckContext, conversation: ImapConversation, report: ImapReport): Promise<boolean> {
  const started = Date.now();
  const reply = await runCommand(ctx, 'imap.extensions', () => conversation.command('CAPABILITY'));
  if (!reply) {
    return false;
  }
  const capabilities = capabilitiesOf(reply);
  const infos = describeCapabilities(capabilities);
  report.capabilitiesAfterLogin = infos;
  const present = infos.filter((i) => i.present).map((i) => i.name);
  const absent = infos.filter((i) => !i.present).map((i) => i.name);
  const rev = capabilities.includes('IMAP4REV2') ? 'IMAP4rev2' : capabilities.includes('IMAP4REV1') ? 'IMAP4rev1' : undefined;
  ctx.rec.record('imap.extensions', started, {
    status: rev ? 'pass' : 'warn',
    summary: `${rev ?? 'Neither IMAP4rev1 nor IMAP4rev2 is announced'}; ${present.length ? `has ${present.join(', ')}` : 'none of the extensions that speed up a client'}${absent.length ? `; lacks ${absent.join(', ')}` : ''}.`,
    details: [...infos.map((i) => `${i.present ? '+' : '-'} ${i.name}: ${i.meaning}`), `All: ${capabilities.join(' ')}`],
    ...(rev ? {} : { fix: `The server's capability list after login ("${capabilities.join(' ')}") names no IMAP version, which RFC 3501 requires: clients decide what to send by it and may misbehave. Report it to the server's vendor or administrator.` }),
  });
  return true;
}

export async function mailboxesStep(ctx: CheckContext, conversation: ImapConversation, report: ImapReport): Promise<boolean> {
  const started = Date.now();
  const capabilities = report.capabilitiesAfterLogin;
  const has = (name: string) => capabilities.some((c) => c.present && c.name.startsWith(name));
  const specialUse = has('SPECIAL-USE');
  // RFC 6154: RETURN (SPECIAL-USE) makes servers that only mark folders on request mark them
  const list = await runCommand(ctx, 'imap.mailboxes', () => conversation.command(specialUse ? 'LIST "" "*" RETURN (SPECIAL-USE)' : 'LIST "" "*"'));
  if (!list) {
    return false;
  }
  if (list.status !== 'OK') {
    ctx.rec.record('imap.mailboxes', started, { status: 'fail', code: 'SERVER_NO', summary: `The server refused to list folders: "${list.status} ${list.text}".`, fix: 'The mail store of this account may be broken; the server log says more.' });
    return false;
  }
  const folders: FolderReport[] = list.untagged
    .map(parseList)
    .filter((e): e is NonNullable<typeof e> => Boolean(e))
    .map((e) => {
      const special = e.flags.find((f) => /^\\(?:Sent|Drafts|Trash|Junk|Archive|All|Flagged)$/i.test(f));
      return { name: e.name, delimiter: e.delimiter, flags: e.flags, specialUse: e.name.toUpperCase() === 'INBOX' ? '\\Inbox' : special ? `\\${special.slice(1, 2).toUpperCase()}${special.slice(2).toLowerCase()}` : null };
    });
  const roles = new Set(folders.map((f) => f.specialUse));
  const missing = ['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive'].filter((r) => !roles.has(r));
  const { inbox, error: statusError } = await inboxStatus(conversation, report);
  const mailboxes: MailboxReport = { folders, missing, inbox };
  report.mailboxes = mailboxes;
  const important = missing.filter((r) => r === '\\Sent' || r === '\\Drafts' || r === '\\Trash');
  const details = [
    ...folders.slice(0, 100).map((f) => `${f.name}${f.specialUse ? ` = ${f.specialUse}` : ''}${f.flags.some((fl) => /\\Noselect|\\NonExistent/i.test(fl)) ? ' (container, cannot hold mail)' : ''}`),
    ...(folders.length > 100 ? [`... and ${folders.length - 100} more`] : []),
    inbox
      ? `INBOX: ${inbox.messages ?? '?'} messages, ${inbox.unseen ?? '?'} unseen, UIDVALIDITY ${inbox.uidValidity ?? '?'}, UIDNEXT ${inbox.uidNext ?? '?'}${inbox.highestModseq ? `, HIGHESTMODSEQ ${inbox.highestModseq}` : ''}`
      : 'INBOX: STATUS failed',
  ];
  const noInbox = !folders.some((f) => f.specialUse === '\\Inbox');
  const status = noInbox || !inbox ? 'fail' : important.length ? 'warn' : 'pass';
  ctx.rec.record('imap.mailboxes', started, {
    status,
    summary:
      status === 'fail'
        ? noInbox
          ? `The folder list has no INBOX (${folders.length} folder${folders.length === 1 ? '' : 's'} listed), though every IMAP account has one (RFC 3501 5.1): new mail has nowhere to show.`
          : `The server lists INBOX but will not tell its state: STATUS INBOX answered ${statusError ?? 'nothing'}.`
        : `${folders.length} folders; INBOX has ${inbox?.messages ?? '?'} messages (${inbox?.unseen ?? '?'} unseen).${missing.length ? ` No folder is marked ${missing.join(', ')}${specialUse ? '' : ' (the server has no SPECIAL-USE)'}.` : ''}`,
    details,
    ...(status === 'fail'
      ? {
          code: 'NOT_FOUND' as const,
          fix: noInbox
            ? 'The server\'s mail store is set up wrong for this account: for Dovecot, check mail_location and that one namespace has inbox = yes; the server log says more.'
            : 'The INBOX of this account cannot be opened (a broken or locked mail store, wrong permissions): the server log names the cause.',
        }
      : important.length
        ? { fix: `Without ${important.join(', ')} clients guess or create their own folders (sent mail may not be saved). Mark the folders as special-use on the server (Dovecot: special_use in the namespace's mailbox blocks).` }
        : {}),
  });
  return status !== 'fail';
}

async function inboxStatus(conversation: ImapConversation, report: ImapReport): Promise<{ inbox: MailboxReport['inbox']; error?: string }> {
  const condstore = report.capabilitiesAfterLogin.some((c) => c.present && c.name === 'CONDSTORE');
  try {
    const reply = await conversation.command(`STATUS INBOX (MESSAGES UNSEEN UIDVALIDITY UIDNEXT${condstore ? ' HIGHESTMODSEQ' : ''})`);
    const items = reply.untagged.map(parseStatus).find(Boolean);
    if (reply.status !== 'OK' || !items) {
      return { inbox: null, error: `"${reply.status}${reply.code ? ` [${reply.code}]` : ''} ${reply.text}"${reply.status === 'OK' ? ' without a STATUS line' : ''}` };
    }
    const num = (key: string) => (items.has(key) ? Number(items.get(key)) : null);
    return { inbox: { messages: num('MESSAGES'), unseen: num('UNSEEN'), uidValidity: num('UIDVALIDITY'), uidNext: num('UIDNEXT'), highestModseq: items.get('HIGHESTMODSEQ') ?? null } };
  } catch (err) {
    return { inbox: null, error: (err as Error).message };
  }
}

export async function roundTripStep(ctx: CheckContext, conversation: ImapConversation, report: ImapReport): Promise<void> {
  const started = Date.now();
  try {
    const noop = await conversation.command('NOOP');
    const examine = await conversation.command('EXAMINE INBOX');
    const exists = examine.untagged.map((l) => /^\* (\d+) EXISTS/i.exec(l)).find(Boolean);
    let envelopeMs: number | null = null;
    if (examine.status === 'OK' && exists && Number(exists[1]) > 0) {
      // the newest message's envelope names a sender and a subject: time it, never show it
      const fetch = await conversation.command(`FETCH ${exists[1]} (ENVELOPE)`, { show: (text) => (/^\* \d+ FETCH/i.test(text) ? `${text.split(' (')[0]} (ENVELOPE ...) [${Buffer.byteLength(text)} bytes, not shown]` : undefined) });
      envelopeMs = fetch.status === 'OK' ? fetch.ms : null;
    }
    report.roundTrip = { noopMs: noop.ms, envelopeMs };
    const slow = noop.ms > 1000;
    // the TCP connect is one network round trip: it tells a slow network from a slow server
    const connectMs = report.addresses.find((a) => a.address === report.address)?.ms;
    const networkSlow = connectMs !== undefined && connectMs * 2 > noop.ms;
    ctx.rec.record('imap.roundtrip', started, {
      status: slow ? 'warn' : 'pass',
      summary: `NOOP took ${noop.ms} ms${envelopeMs !== null ? `; fetching one envelope took ${envelopeMs} ms` : '; INBOX is empty, so no envelope was fetched'}.${slow && connectMs !== undefined ? ` Connecting took ${connectMs} ms, so ${networkSlow ? 'the network itself is slow' : 'the network is fast and the server takes its time'}.` : ''}`,
      ...(slow
        ? {
            fix: networkSlow
              ? 'Each command waits on a slow network path: expect a sluggish client; a closer server or another network helps.'
              : 'The server takes over a second for a command that does nothing: it is overloaded (its load and log say why); expect a sluggish client meanwhile.',
          }
        : {}),
    });
  } catch (err) {
    ctx.rec.failed('imap.roundtrip', started, err);
  }
}
