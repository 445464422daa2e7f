// Child process of the memory metric (run with --expose-gc): pages through a folder with our code
// (MailSession + fetchHeaderPage into the tree's FolderMessages model), or loads every envelope
// (the naive baseline), and reports heap growth. A fresh process per measurement, so nothing
// else the benchmark did is on the heap.
import { FolderWindow } from '../../src/core/mail/window';
import { fetchHeaderPage, HEADER_QUERY, type MessageSummary, toSummary } from '../../src/core/mail/headers';
import { nullLogger } from '../../src/core/log';
import { MailSession } from '../../src/core/mail/session';
import { memoryPinStore } from '../../src/core/tls';

export interface ProbeInput {
  host: string;
  port: number;
  ca: string[];
  user: string;
  password: string;
  folder: string;
  pages: number;
  pageSize: number;
  mode: 'ours' | 'baseline';
}

export interface ProbeOutput {
  heapBefore: number;
  /** Heap after paging, session still open (what the extension holds while the folder is shown). */
  heapOpen: number;
  /** Heap with only the model kept (connection closed): the loaded pages themselves. */
  heapModelOnly: number;
  messages: number;
  elapsedMs: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function settledHeap(): number {
  if (!gc) {
    throw new Error('run with --expose-gc');
  }
  for (let i = 0; i < 4; i++) {
    gc();
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_PROBE ?? '{}') as ProbeInput;
  const heapBefore = settledHeap();
  const session = new MailSession({
    account: { id: 'probe', email: 'alice@example.test', imap: { host: input.host, port: input.port, security: 'tls', user: input.user } },
    password: async () => input.password,
    pins: memoryPinStore(),
    logger: nullLogger,
    extraCa: input.ca,
  });
  let model: FolderWindow | undefined;
  const started = performance.now();
  if (input.mode === 'ours') {
    for (let i = 0; i < input.pages; i++) {
      const cursor = model?.next;
      const page = await session.withMailbox(input.folder, (client, mailbox) => fetchHeaderPage(client, mailbox, input.pageSize, cursor), { idempotent: true });
      if (model) {
        model.addOlderPage(page);
      } else {
        model = FolderWindow.fromPage(input.folder, page);
      }
    }
  } else {
    const page = await session.withMailbox(input.folder, async (client, mailbox) => {
      const messages: MessageSummary[] = [];
      for await (const message of client.fetch('1:*', HEADER_QUERY, { uid: true })) {
        messages.push(toSummary(message));
      }
      return { messages, uidValidity: String(mailbox.uidValidity), total: messages.length };
    }, { idempotent: true });
    model = FolderWindow.fromPage(input.folder, page);
  }
  const elapsedMs = performance.now() - started;
  const heapOpen = settledHeap();
  await session.close();
  const heapModelOnly = settledHeap();
  const output: ProbeOutput = { heapBefore, heapOpen, heapModelOnly, messages: model?.size ?? 0, elapsedMs };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
