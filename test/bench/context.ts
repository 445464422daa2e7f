// What every scenario needs: the server, the metered proxy, how many runs, and helpers that build
// clients the three ways the benchmark compares (our MailSession, prototypes, the raw client).
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { type AccountConfig } from '../../src/core/account';
import { imapflowLogger, type Logger, nullLogger } from '../../src/core/log';
import { MailSession } from '../../src/core/mail/session';
import { memoryPinStore, tlsOptionsFor } from '../../src/core/tls';
import { DEFAULT_USER, type DovecotServer } from '../support/dovecot';
import { type MeteredProxy, medianSample, type Sample } from './meter';
import { quote, RawImap, type RawResponse, saslPlain } from './rawImap';

export type Kind = 'ours' | 'baseline' | 'lower bound' | 'prototype';

export interface Row {
  metric: string;
  /** The case within the metric: "1k folder", "nothing changed"... */
  case: string;
  kind: Kind;
  /** Short name for the table ("ours", "proto: no ID/NS"...); the label explains it below. */
  short: string;
  label: string;
  samples: Sample[];
  median?: Sample;
  /** Rows that were not measured say why (not implemented, computed instead...). */
  status?: string;
  notes: string[];
}

export interface BenchContext {
  server: DovecotServer;
  proxy: MeteredProxy;
  /** Multiplies every scenario's run count (BENCH_RUNS_SCALE), at least 1 run each. */
  runs(n: number): number;
  log(line: string): void;
  rows: Row[];
  /** Evidence behind the verdicts (protocol timelines...), printed and written to the JSON. */
  evidence: Record<string, unknown>;
}

export function account(ctx: BenchContext, port = ctx.proxy.port): AccountConfig {
  return { id: 'bench', email: 'alice@example.test', imap: { host: ctx.server.host, port, security: 'tls', user: DEFAULT_USER.name } };
}

/** Our session, built exactly as the extension's SessionPool builds it (plus an optional logger). */
export function ourSession(ctx: BenchContext, options: { logger?: Logger; port?: number; clientOptions?: Partial<ImapFlowOptions> } = {}): MailSession {
  return new MailSession({
    account: account(ctx, options.port),
    password: async () => DEFAULT_USER.password,
    pins: memoryPinStore(),
    logger: options.logger ?? nullLogger,
    extraCa: ctx.server.ca ? [ctx.server.ca.pem] : undefined,
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
  });
}

/**
 * Prototype connection setups, side by side with ours (test/bench only, src/ unchanged):
 * - 'options': only imapflow options: no COMPRESS, LOGIN instead of AUTHENTICATE PLAIN without
 *   SASL-IR (imapflow 2.10 never sends an initial response for PLAIN), ENABLE kept (QRESYNC).
 * - 'patched': 'options' plus what no imapflow option can turn off: ID (sent twice against
 *   Dovecot, before and after login) and NAMESPACE, removed from this instance's command table,
 *   as an upstream option would. Paths then have to be full paths from LIST (they are, here).
 * - 'minimal': 'patched' without ENABLE; callers also skip imapflow's LIST before SELECT with
 *   rememberFolder() (the folder is known from an earlier LIST, e.g. the header cache).
 */
export type Trim = 'options' | 'patched' | 'minimal';

export function prototypeClient(ctx: BenchContext, trim: Trim, options: { logger?: Logger; port?: number; extra?: Partial<ImapFlowOptions> } = {}): ImapFlow {
  const host = ctx.server.host;
  const client = new ImapFlow({
    host,
    port: options.port ?? ctx.proxy.port,
    secure: true,
    auth: { user: DEFAULT_USER.name, pass: DEFAULT_USER.password, loginMethod: 'LOGIN' },
    tls: tlsOptionsFor(host, undefined, ctx.server.ca ? [ctx.server.ca.pem] : undefined),
    logger: imapflowLogger(options.logger ?? nullLogger, 'proto'),
    disableAutoIdle: true,
    disableCompression: true,
    disableAutoEnable: trim === 'minimal',
    qresync: true,
    clientInfo: { name: 'IMAP Mailbox Explorer' },
    ...options.extra,
  });
  client.on('error', () => undefined);
  if (trim === 'patched' || trim === 'minimal') {
    const table = client as unknown as { commands: Map<string, unknown> };
    table.commands = new Map(table.commands);
    table.commands.delete('ID');
    table.commands.delete('NAMESPACE');
  }
  return client;
}

/**
 * imapflow runs LIST "" <path> before SELECT for a folder it has not listed on this connection
 * (commands/select.js); a client that knows the folder (from a previous LIST, kept in the header
 * cache) can tell it, and SELECT goes out at once. Instance-level, as an option would do.
 */
export function rememberFolder(client: ImapFlow, path: string, delimiter = '.'): void {
  const folders = (client as unknown as { folders: Map<string, unknown> }).folders;
  folders.set(path, { path, delimiter, listed: true, subscribed: true, flags: new Set<string>() });
}

/** The lower-bound client: TLS, greeting, then AUTHENTICATE PLAIN with SASL-IR pipelined with `after`. */
export async function rawLogin(ctx: BenchContext, after: string[], options: { port?: number; keepLiteral?: number } = {}): Promise<{ client: RawImap; responses: RawResponse[] }> {
  const client = await RawImap.connect({ host: ctx.server.host, port: options.port ?? ctx.proxy.port, ca: ctx.server.ca ? [ctx.server.ca.pem] : undefined, keepLiteral: options.keepLiteral });
  await client.waitGreeting();
  const responses = await client.pipeline([`AUTHENTICATE PLAIN ${saslPlain(DEFAULT_USER.name, DEFAULT_USER.password)}`, ...after]);
  return { client, responses };
}

export function login(): string {
  return `LOGIN ${quote(DEFAULT_USER.name)} ${quote(DEFAULT_USER.password)}`;
}

export interface RowSpec<S> {
  metric: string;
  case: string;
  kind: Kind;
  /** Defaults to the kind. */
  short?: string;
  label: string;
  runs: number;
  notes?: string[];
  /** Not measured: prepares the state of one run (an open connection...). */
  setup?: (run: number) => Promise<S>;
  measure: (state: S, run: number) => Promise<Record<string, number> | void>;
  teardown?: (state: S, run: number) => Promise<void>;
}

/** Runs one row N times (setup, measured part, teardown) and stores it with its median. */
export async function runRow<S>(ctx: BenchContext, spec: RowSpec<S>): Promise<Row> {
  const row: Row = { metric: spec.metric, case: spec.case, kind: spec.kind, short: spec.short ?? spec.kind, label: spec.label, samples: [], notes: [...(spec.notes ?? [])] };
  const runs = ctx.runs(spec.runs);
  for (let run = 0; run < runs; run++) {
    const state = spec.setup ? await spec.setup(run) : (undefined as S);
    try {
      const sample = await ctx.proxy.measure(() => spec.measure(state, run));
      // a child process reports the time of its own work (without its start-up)
      if (sample.extra.elapsedMs !== undefined) {
        sample.ms = sample.extra.elapsedMs;
        delete sample.extra.elapsedMs;
      }
      row.samples.push(sample);
    } finally {
      await spec.teardown?.(state, run);
    }
  }
  row.median = medianSample(row.samples);
  ctx.rows.push(row);
  const m = row.median;
  ctx.log(`  ${spec.metric} | ${spec.case} | ${spec.kind}: ${spec.label}: ${m.ms.toFixed(0)} ms, ${m.roundTrips} RT, ${((m.up + m.down) / 1024).toFixed(1)} KB${Object.entries(m.extra).map(([k, v]) => `, ${k} ${v}`).join('')} (n=${runs})`);
  return row;
}

/** A row that is reported without a measurement (not implemented, or computed). */
export function noteRow(ctx: BenchContext, row: Omit<Row, 'samples' | 'notes' | 'short'> & { notes?: string[]; short?: string }): Row {
  const full: Row = { ...row, short: row.short ?? row.kind, samples: [], notes: row.notes ?? [] };
  ctx.rows.push(full);
  ctx.log(`  ${row.metric} | ${row.case} | ${row.kind}: ${row.label}: ${row.status ?? ''}`);
  return full;
}

export async function closeQuietly(client: ImapFlow | undefined): Promise<void> {
  if (!client) {
    return;
  }
  try {
    if (client.usable) {
      await Promise.race([client.logout(), new Promise((r) => setTimeout(r, 1000))]);
    }
  } catch {
    // closing anyway
  }
  client.close();
}
