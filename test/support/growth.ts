// How the cost of an operation grows with the size of its input, as a ratio of CPU times at 1x and
// 4x (never a wall-clock threshold). CPU time of this process (process.cpuUsage), the best of a
// few runs, with enough repetitions that the 1x run is well above the timer's resolution, so other
// work on a loaded machine inflates both sides alike. Linear work gives about 4, quadratic 16.
import assert from 'node:assert/strict';

function cpuMs(run: () => unknown, repetitions: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < repetitions; i++) {
    run();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function cpuMsAsync(run: () => Promise<unknown>, repetitions: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < repetitions; i++) {
    await run();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Least CPU time for the 1x run before the ratio is trusted. */
const MIN_BASE_MS = 30;
const RUNS = 7;

export interface Growth {
  /** Best CPU milliseconds at 1x, 2x and 4x (with the same repetitions). */
  ms: [number, number, number];
  /** ms at 4x divided by ms at 1x. */
  ratio: number;
}

/**
 * Measures `run` on `make(n)`, `make(2n)` and `make(4n)`. The inputs are built before timing.
 * `run` may return a promise (awaited inside the timed section).
 */
export async function measureGrowth<T>(make: (n: number) => T, run: (input: T) => unknown, n: number): Promise<Growth> {
  const inputs = [make(n), make(2 * n), make(4 * n)];
  const first = run(inputs[0]);
  const isAsync = first instanceof Promise;
  await first;
  const once = (input: T, repetitions: number): Promise<number> | number =>
    isAsync ? cpuMsAsync(() => run(input) as Promise<unknown>, repetitions) : cpuMs(() => run(input), repetitions);
  let repetitions = 1;
  // grow the repetitions until the 1x measurement is clearly measurable
  const calibrate = async () => Math.min(await once(inputs[0], repetitions), await once(inputs[0], repetitions));
  while ((await calibrate()) < MIN_BASE_MS && repetitions < 1 << 16) {
    repetitions *= 2;
  }
  // The sizes take turns, round after round, and each keeps its best round: a spell of load from
  // other processes (cache and memory bandwidth taken, not CPU time) then slows every size alike
  // instead of whichever size happened to run during it.
  const ms: [number, number, number] = [Infinity, Infinity, Infinity];
  for (let r = 0; r < RUNS; r++) {
    for (let size = 0; size < 3; size++) {
      ms[size] = Math.min(ms[size], await once(inputs[size], repetitions));
    }
  }
  return { ms, ratio: ms[2] / Math.max(ms[0], 0.001) };
}

/** Fails when quadrupling the input costs more than `max` times as much (linear: about 4). */
export async function assertLinear<T>(what: string, make: (n: number) => T, run: (input: T) => unknown, n: number, max = 8): Promise<Growth> {
  const growth = await measureGrowth(make, run, n);
  assert.ok(growth.ratio < max, `${what}: 4x the input costs ${growth.ratio.toFixed(1)}x the CPU time (${growth.ms.map((m) => m.toFixed(1)).join(' / ')} ms at 1x/2x/4x); linear work costs about 4x`);
  return growth;
}
