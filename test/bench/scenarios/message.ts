// The message with a 25 MB attachment: opening it (bytes and round trips until the body can be
// shown, on an open connection), and saving the attachment (throughput).
import { type ImapFlow } from 'imapflow';
import { type Readable } from 'node:stream';
import { fetchHeaderPage, type MessageSummary } from '../../../src/core/mail/headers';
import { downloadPart, loadImapMessage } from '../../../src/core/mail/messageLoader';
import { BulkConnection } from '../../../src/core/mail/bulk';
import { type MailSession } from '../../../src/core/mail/session';
import { BIG_ATTACHMENT_BYTES, BIG_UID, FOLDERS } from '../corpus';
import { closeQuietly, type BenchContext, ourSession, prototypeClient, rawLogin, runRow } from '../context';
import { type RawImap } from '../rawImap';

const FOLDER = FOLDERS.big.name;
const ATTACHMENT_PART = '2';

async function drain(stream: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
  }
  return bytes;
}

async function openSessionWithSummary(ctx: BenchContext): Promise<{ session: MailSession; summary: MessageSummary }> {
  const session = ourSession(ctx);
  const page = await session.withMailbox(FOLDER, (client, mailbox) => fetchHeaderPage(client, mailbox, 50), { idempotent: true });
  const summary = page.messages.find((m) => m.uid === BIG_UID);
  if (!summary) {
    throw new Error('the big message is not in the first page');
  }
  return { session, summary };
}

export async function openBigMessage(ctx: BenchContext): Promise<void> {
  const metric = 'Open the 25 MB-attachment message';
  const label = 'open connection, folder selected';
  const { session, summary } = await openSessionWithSummary(ctx);
  const check = (text: string | undefined) => {
    if (!text?.includes('core dump')) {
      throw new Error('the body was not loaded');
    }
  };
  await runRow(ctx, {
    metric, case: label, kind: 'ours', runs: 5,
    label: 'loadImapMessage with the summary the tree already has (the normal click)',
    measure: async () => {
      const message = await session.withMailbox(FOLDER, (client) => loadImapMessage(client, BIG_UID, summary), { idempotent: true });
      check(message.text);
    },
  });
  await runRow(ctx, {
    metric, case: label, kind: 'ours', runs: 5, short: 'ours (no summary)',
    label: 'loadImapMessage without a summary (a restored panel): BODYSTRUCTURE first',
    measure: async () => {
      const message = await session.withMailbox(FOLDER, (client) => loadImapMessage(client, BIG_UID), { idempotent: true });
      check(message.text);
    },
  });
  await runRow(ctx, {
    metric, case: label, kind: 'baseline', runs: 3,
    label: 'fetch the full source (FETCH BODY.PEEK[])',
    measure: async () => {
      const message = await session.withMailbox(FOLDER, (client) => client.fetchOne(String(BIG_UID), { source: true }, { uid: true }), { idempotent: true });
      if (!message || !message.source || message.source.length < BIG_ATTACHMENT_BYTES) {
        throw new Error('baseline: no source');
      }
    },
  });
  await session.close();
  const { client: raw } = await rawLogin(ctx, [`SELECT ${FOLDER}`]);
  await runRow(ctx, {
    metric, case: label, kind: 'lower bound', runs: 5,
    label: 'raw: UID FETCH BODYSTRUCTURE, then UID FETCH BODY.PEEK[1] (the text part)',
    measure: async () => {
      const structure = await raw.command(`UID FETCH ${BIG_UID} (BODYSTRUCTURE)`);
      if (!/BODYSTRUCTURE \(\("text" "plain"/i.test(structure.untagged.join('\n'))) {
        throw new Error(`lower bound: unexpected structure ${structure.untagged.join('\n').slice(0, 200)}`);
      }
      const text = await raw.command(`UID FETCH ${BIG_UID} (BODY.PEEK[1])`);
      if (!text.untagged.join('\n').includes('core dump')) {
        throw new Error('lower bound: no text');
      }
    },
  });
  await raw.logout();
}

export async function saveAttachment(ctx: BenchContext): Promise<void> {
  const metric = 'Save the 25 MB attachment';
  const label = 'open connection, folder selected';
  const throughput = (bytes: number, ms: number) => bytes / 1024 / 1024 / (ms / 1000);
  const bulk = new BulkConnection(() => ourSession(ctx));
  await bulk.withMailbox(FOLDER, async () => undefined, { idempotent: true });
  await runRow(ctx, {
    metric, case: label, kind: 'ours', runs: 3,
    notes: ['imapflow buffers each FETCH answer whole before it reaches the stream, so a window of N MB costs N MB (plus parser copies) while it is in flight: the window size is the memory bound (ours: DOWNLOAD_WINDOW_BYTES, 16 MB)'],
    label: 'the account\'s second connection (BulkConnection.lockMailbox) + downloadPart: FETCH BINARY in 16 MB windows',
    measure: async () => {
      const started = performance.now();
      const lock = await bulk.lockMailbox(FOLDER);
      try {
        const bytes = await drain((await downloadPart(lock.client, BIG_UID, ATTACHMENT_PART)).content);
        if (bytes !== BIG_ATTACHMENT_BYTES) {
          throw new Error(`ours saved ${bytes} bytes`);
        }
        return { savedBytes: bytes, mbPerSecond: throughput(bytes, performance.now() - started) };
      } finally {
        lock.release();
      }
    },
  });
  await bulk.close();
  for (const [kind, short, name, options, runs] of [
    ['baseline', 'baseline', 'default chunked download: imapflow download() with its defaults (64 KB windows of BODY[2], base64)', {}, 1],
    ['prototype', 'proto: BINARY 4M', 'imapflow download(), binary: true, chunkSize 4 MB', { binary: true, chunkSize: 4 * 1024 * 1024 }, 3],
    ['prototype', 'proto: BINARY 8M', 'imapflow download(), binary: true, chunkSize 8 MB', { binary: true, chunkSize: 8 * 1024 * 1024 }, 3],
    ['prototype', 'proto: BINARY 1 fetch', 'imapflow download(), binary: true, chunkSize 32 MB: one FETCH, the part buffered whole', { binary: true, chunkSize: 32 * 1024 * 1024 }, 3],
  ] as const) {
    let client: ImapFlow | undefined;
    await runRow(ctx, {
      metric, case: label, kind, runs, short,
      label: name,
      setup: async () => {
        client = prototypeClient(ctx, 'options');
        await client.connect();
        await client.mailboxOpen(FOLDER);
      },
      measure: async () => {
        const started = performance.now();
        const bytes = await drain((await client!.download(String(BIG_UID), ATTACHMENT_PART, { uid: true, decodeText: false, ...options })).content!);
        if (bytes !== BIG_ATTACHMENT_BYTES) {
          throw new Error(`${short} saved ${bytes} bytes`);
        }
        return { savedBytes: bytes, mbPerSecond: throughput(bytes, performance.now() - started) };
      },
      teardown: async () => closeQuietly(client),
    });
  }
  let raw: RawImap | undefined;
  await runRow(ctx, {
    metric, case: label, kind: 'lower bound', runs: 5,
    label: 'raw: one UID FETCH BINARY.PEEK[2] (server removes the base64)',
    setup: async () => void (raw = (await rawLogin(ctx, [`SELECT ${FOLDER}`], { keepLiteral: 0 })).client),
    measure: async () => {
      const started = performance.now();
      const response = await raw!.command(`UID FETCH ${BIG_UID} (BINARY.PEEK[${ATTACHMENT_PART}])`);
      if (response.literalBytes !== BIG_ATTACHMENT_BYTES) {
        throw new Error(`lower bound received ${response.literalBytes} bytes`);
      }
      return { savedBytes: response.literalBytes, mbPerSecond: throughput(response.literalBytes, performance.now() - started) };
    },
    teardown: async () => void (await raw?.logout()),
  });
}

/**
 * Opening a message while the attachment is being saved on the same account. Ours: the download
 * runs on the account's second connection, the click on the main one. Baseline: one connection
 * for both, as before the fast path, with imapflow's default 64 KB windows (the open waits for
 * the download's mailbox lock). Times only (the proxy counters see both connections at once).
 */
export async function openWhileBusy(ctx: BenchContext): Promise<void> {
  const metric = 'Open a message while the attachment is saved';
  const label = 'download in progress on the account';
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const timed = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const session = ourSession(ctx);
  const page = await session.withMailbox(FOLDER, (client, mailbox) => fetchHeaderPage(client, mailbox, 50), { idempotent: true });
  const other = page.messages.find((m) => m.uid === BIG_UID - 1)!;
  const open = () => timed(() => session.withMailbox(FOLDER, (client) => loadImapMessage(client, other.uid, other), { idempotent: true }));

  // ours: the save on the second connection; the reader pauses after the first window, as a slow
  // disk or link would, so the download is certainly still running when the click comes
  const bulk = new BulkConnection(() => ourSession(ctx));
  const lock = await bulk.lockMailbox(FOLDER);
  const { content } = await downloadPart(lock.client, BIG_UID, ATTACHMENT_PART);
  content.pause();
  await sleep(500);
  const oursMs = await open();
  const stillRunning = !content.readableEnded;
  content.resume();
  await drain(content);
  lock.release();
  await bulk.close();

  // baseline: the same connection for both, with imapflow's default windows
  const busy = await session.lockMailbox(FOLDER);
  const download = await busy.client.download(String(BIG_UID), ATTACHMENT_PART, { uid: true, decodeText: false });
  download.content!.once('close', () => busy.release());
  const saved = drain(download.content!);
  await sleep(1000);
  const baselineMs = await open();
  await saved;

  const onDemand = await timed(async () => {
    const client = prototypeClient(ctx, 'options');
    await client.connect();
    const l = await client.getMailboxLock(FOLDER);
    try {
      await loadImapMessage(client, other.uid, other);
    } finally {
      l.release();
    }
    void closeQuietly(client);
  });
  await session.close();
  const sample = (ms: number, extra: Record<string, number> = {}) => ({ ms, roundTrips: NaN, up: NaN, down: NaN, connections: NaN, extra });
  const add = (kind: 'ours' | 'baseline' | 'prototype', short: string, text: string, ms: number, extra: Record<string, number> = {}) => {
    ctx.rows.push({ metric, case: label, kind, short, label: text, samples: [sample(ms, extra)], median: sample(ms, extra), notes: [] });
    ctx.log(`  ${metric} | ${label} | ${short}: ${ms.toFixed(0)} ms`);
  };
  add('ours', 'ours', 'download on the second connection (BulkConnection), the click on the main connection (already open)', oursMs, { downloadStillRunning: stillRunning ? 1 : 0 });
  add('baseline', 'baseline', 'one connection: loadImapMessage queued behind the download\'s mailbox lock (64 KB windows)', baselineMs);
  add('prototype', 'proto: 2nd conn on demand', 'for comparison: a connection opened for the click itself, SELECT, then the text part', onDemand);
}
