// Addresses for completion in To/Cc/Bcc: the correspondents of loaded folders, plus the recipients
// of the last messages in Sent (fetched once per account, ENVELOPE only).
import { type SessionPool } from '../accounts/sessions';
import { fromEnvelope, type Mailbox, normalizeAddress } from '../core/compose/addresses';
import { type MessageSummary } from '../core/mail/headers';

export class AddressBook {
  private readonly known = new Map<string, Mailbox & { score: number }>();
  private readonly loadedSent = new Set<string>();

  constructor(private readonly sessions: SessionPool) {}

  add(messages: Array<Partial<Pick<MessageSummary, 'from' | 'to' | 'cc'>>>, weight = 1): void {
    for (const m of messages) {
      for (const mailbox of [...fromEnvelope(m.from), ...fromEnvelope(m.to), ...fromEnvelope(m.cc)]) {
        const key = normalizeAddress(mailbox.address);
        const entry = this.known.get(key);
        if (entry) {
          entry.score += weight;
          entry.name ||= mailbox.name;
        } else {
          this.known.set(key, { ...mailbox, score: weight });
        }
      }
    }
  }

  /** Reads the recipients of the newest messages in Sent once per account (they weigh more). */
  async loadSent(accountId: string, sentPath: string | undefined): Promise<void> {
    if (!sentPath || this.loadedSent.has(accountId)) {
      return;
    }
    this.loadedSent.add(accountId);
    const recent = await this.sessions.get(accountId).withMailbox(sentPath, async (client, mailbox) => {
      const out: Array<Pick<MessageSummary, 'from' | 'to' | 'cc'>> = [];
      if (mailbox.exists === 0) {
        return out;
      }
      for await (const m of client.fetch(`${Math.max(1, mailbox.exists - 99)}:*`, { envelope: true })) {
        out.push({ from: [], to: m.envelope?.to ?? [], cc: m.envelope?.cc ?? [] });
      }
      return out;
    }, { idempotent: true });
    this.add(recent, 3);
  }

  search(prefix: string, exclude: string[] = []): Mailbox[] {
    const needle = prefix.trim().toLowerCase();
    const skip = new Set(exclude.map(normalizeAddress));
    return [...this.known.values()]
      .filter((m) => !skip.has(normalizeAddress(m.address)) && (!needle || m.address.toLowerCase().includes(needle) || m.name.toLowerCase().includes(needle)))
      .sort((a, b) => b.score - a.score || a.address.localeCompare(b.address))
      .slice(0, 50);
  }
}
