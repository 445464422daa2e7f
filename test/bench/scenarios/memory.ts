// Extension-side memory after paging 20 pages of 50 (1k folder: all of it; 100k folder: the
// newest 1,000), against keeping every envelope of the folder. Each measurement runs in a fresh
// `node --expose-gc` child, through the delay proxy.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_USER } from '../../support/dovecot';
import { FOLDERS } from '../corpus';
import { type BenchContext, noteRow, runRow } from '../context';
import { type ProbeInput, type ProbeOutput } from '../memoryProbe';

const ROOT = join(__dirname, '..', '..', '..');
const MB = 1024 * 1024;

function probe(input: ProbeInput): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'test', 'bench', 'memoryProbe.ts')], {
      cwd: ROOT,
      env: { ...process.env, BENCH_PROBE: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`memory probe failed (${code}): ${err}`));
        return;
      }
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ProbeOutput);
    });
  });
}

export async function memory(ctx: BenchContext): Promise<void> {
  const metric = 'Memory after 20 pages';
  for (const key of ['k1', 'k100'] as const) {
    const { name, count } = FOLDERS[key];
    const label = `${count / 1000}k folder`;
    const input = (mode: ProbeInput['mode']): ProbeInput => ({
      host: ctx.server.host, port: ctx.proxy.port, ca: ctx.server.ca ? [ctx.server.ca.pem] : [], user: DEFAULT_USER.name,
      password: DEFAULT_USER.password, folder: name, pages: 20, pageSize: 50, mode,
    });
    let modelOnly: number[] = [];
    const ours = await runRow(ctx, {
      metric, case: label, kind: 'ours', runs: 2,
      label: 'MailSession + 20 x fetchHeaderPage into FolderMessages; heap growth, session open',
      measure: async () => {
        const out = await probe(input('ours'));
        modelOnly.push((out.heapModelOnly - out.heapBefore) / MB);
        return { heapGrowthMB: (out.heapOpen - out.heapBefore) / MB, messages: out.messages, elapsedMs: out.elapsedMs };
      },
    });
    modelOnly = modelOnly.sort((a, b) => a - b);
    noteRow(ctx, {
      metric, case: label, kind: 'lower bound',
      label: 'the 20 loaded pages alone (same run, connection closed, model kept)',
      status: 'measured within the ours runs',
      median: { ms: NaN, roundTrips: NaN, up: NaN, down: NaN, connections: NaN, extra: { heapGrowthMB: modelOnly[Math.floor((modelOnly.length - 1) / 2)], messages: ours.median!.extra.messages } },
    });
    await runRow(ctx, {
      metric, case: label, kind: 'baseline', runs: 1,
      label: 'keep every envelope: UID FETCH 1:* into the same model',
      measure: async () => {
        const out = await probe(input('baseline'));
        return { heapGrowthMB: (out.heapOpen - out.heapBefore) / MB, messages: out.messages, elapsedMs: out.elapsedMs };
      },
    });
  }
}
