// Sending a built message and what follows it. The SMTP submission decides success; everything
// after it (the copy in Sent, \Answered or $Forwarded on the original, removing the draft copy)
// is reported as a warning when it fails and never causes the message to be sent again.
import { expungeUids, setFlags } from '../mail/actions';
import { toMailError } from '../errors';
import { type Logger } from '../log';
import { type MailSession } from '../mail/session';
import { appendMessage } from './append';
import { type BuiltMessage } from './build';
import { type MessageLocation } from './draft';
import { sendRaw, type SmtpSettings } from './smtp';

export interface SendPlan {
  built: BuiltMessage;
  smtp: SmtpSettings;
  imap: MailSession;
  /** Where the copy goes; undefined when the server stores sent mail itself (or there is none). */
  sentFolder?: string;
  serverSavesSent: boolean;
  original?: MessageLocation & { flag: '\\Answered' | '$Forwarded' };
  /** Copies of this draft in the Drafts folder, found by Message-ID, to remove. */
  draftCopy?: { path: string; messageId: string };
}

export interface SendReport {
  accepted: string[];
  sent: 'saved' | 'server' | 'no-folder' | 'failed';
  warnings: string[];
}

export async function sendMessage(plan: SendPlan, logger: Logger): Promise<SendReport> {
  const { built, imap } = plan;
  const result = await sendRaw(plan.smtp, { from: built.from.address, to: built.recipients }, built.raw, logger);
  const warnings: string[] = [];
  const target = { refusal: () => imap.takeRefusal() };

  let sent: SendReport['sent'] = plan.serverSavesSent ? 'server' : 'no-folder';
  if (!plan.serverSavesSent && plan.sentFolder) {
    try {
      await appendMessage(imap, plan.sentFolder, built.rawForSent, ['\\Seen'], `saved in ${plan.sentFolder}`);
      sent = 'saved';
    } catch (err) {
      sent = 'failed';
      warnings.push(`The message was sent, but saving a copy in ${plan.sentFolder} failed (${toMailError(err).message}). It will not be sent again.`);
    }
  }
  if (plan.original) {
    const original = plan.original;
    try {
      await imap.withMailbox(original.path, async (client, mailbox) => {
        if (original.uidValidity && String(mailbox.uidValidity) !== original.uidValidity) {
          return;
        }
        await setFlags({ client, ...target }, [original.uid], [original.flag], true);
      }, { idempotent: true });
    } catch (err) {
      warnings.push(`The message was sent, but marking the original ${original.flag === '\\Answered' ? 'as answered' : 'as forwarded'} failed (${toMailError(err).message}).`);
    }
  }
  if (plan.draftCopy) {
    const copy = plan.draftCopy;
    try {
      await imap.withMailbox(copy.path, async (client) => {
        const uids = await client.search({ header: { 'message-id': copy.messageId } }, { uid: true });
        const all = Array.isArray(uids) ? uids : [];
        if (all.length) {
          await expungeUids({ client, ...target }, all);
        }
      }, { idempotent: true });
    } catch (err) {
      warnings.push(`The message was sent, but its draft in ${copy.path} could not be removed (${toMailError(err).message}).`);
    }
  }
  return { accepted: result.accepted, sent, warnings };
}

/**
 * Saves the draft in the Drafts folder (\Draft, \Seen) and removes its earlier copies (same
 * Message-ID), so the folder holds one current copy.
 */
export async function saveDraftCopy(imap: MailSession, folder: string, raw: Buffer, messageId: string): Promise<void> {
  const fresh = (await appendMessage(imap, folder, raw, ['\\Draft', '\\Seen'], `saved in ${folder}`)).uid;
  await imap.withMailbox(folder, async (client) => {
    const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
    const older = (Array.isArray(uids) ? uids : []).filter((u) => u !== fresh);
    if (older.length) {
      await expungeUids({ client, refusal: () => imap.takeRefusal() }, older);
    }
  }, { idempotent: true });
}
