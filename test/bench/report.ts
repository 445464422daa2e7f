// The benchmark's output: one table per metric (medians and ratios), the verdict of each row of
// the issue's target table with the reasons taken from the numbers, and a JSON file.
import { type Row } from './context';
import { type Sample } from './meter';

export interface MetricSpec {
  metric: string;
  target: string;
  /** Metric-specific columns: title and how to read it from a sample. */
  extra?: Array<{ title: string; value(sample: Sample): string }>;
}

export interface Verdict {
  metric: string;
  target: string;
  status: 'MET' | 'MISSED' | 'PARTLY';
  because: string[];
}

const KB = 1024;

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0) {
    return '-';
  }
  const r = a / b;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}x`;
}

function table(header: string[], rows: string[][], align: Array<'l' | 'r'>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function metricTable(spec: MetricSpec, rows: Row[], rttMs: number): string {
  const mine = rows.filter((r) => r.metric === spec.metric);
  const extra = spec.extra ?? [];
  const header = ['Case', 'Variant', 'Time ms', 'RT', 'RT (time/RTT)', 'KB', ...extra.map((e) => e.title), 'n'];
  const body = mine.map((r) => {
    const m = r.median;
    const measured = r.samples.length > 0;
    return [
      r.case,
      r.short,
      m && !Number.isNaN(m.ms) ? fmt(m.ms) : '-',
      measured && m ? fmt(m.roundTrips) : '-',
      measured && m ? fmt(m.ms / rttMs, 1) : '-',
      measured && m ? fmt((m.up + m.down) / KB, 1) : '-',
      ...extra.map((e) => (m ? e.value(m) : '-')),
      measured ? String(r.samples.length) : r.status ? 'n/a' : '0',
    ];
  });
  const out = [`### ${spec.metric}`, `Target: ${spec.target}`, '', table(header, body, ['l', 'l', 'r', 'r', 'r', 'r', ...extra.map(() => 'r' as const), 'r'])];
  // ratios per case: ours against the lower bound, the baseline against ours
  const ratios: string[] = [];
  for (const c of [...new Set(mine.map((r) => r.case))]) {
    const measured = (kind: Row['kind']) => mine.find((r) => r.case === c && r.kind === kind && r.samples.length && !Number.isNaN(r.samples[0].roundTrips))?.median;
    const ours = measured('ours');
    const lb = measured('lower bound');
    const base = measured('baseline');
    const bytes = (s: Sample | undefined) => (s ? s.up + s.down : undefined);
    const parts: string[] = [];
    if (ours && lb) {
      parts.push(`ours/lower bound: time ${ratio(ours.ms, lb.ms)}, RT ${ratio(ours.roundTrips, lb.roundTrips)}, bytes ${ratio(bytes(ours), bytes(lb))}`);
    }
    if (ours && base) {
      parts.push(`baseline/ours: time ${ratio(base.ms, ours.ms)}, RT ${ratio(base.roundTrips, ours.roundTrips)}, bytes ${ratio(bytes(base), bytes(ours))}`);
    }
    if (parts.length) {
      ratios.push(`- ${c}: ${parts.join('; ')}`);
    }
  }
  if (ratios.length) {
    out.push('', 'Ratios of medians:', ...ratios);
  }
  out.push('', 'Variants:', ...[...new Map(mine.map((r) => [r.short, r])).values()].map((r) => `- ${r.short}: ${r.label}${r.status ? ` (${r.status})` : ''}`));
  const notes = [...new Set(mine.flatMap((r) => r.notes))];
  if (notes.length) {
    out.push('', ...notes.map((n) => `Note: ${n}`));
  }
  return out.join('\n');
}

export function verdictText(verdicts: Verdict[]): string {
  const lines = ['### Targets', ''];
  for (const v of verdicts) {
    lines.push(`- [${v.status}] ${v.metric} (target: ${v.target})`);
    for (const b of v.because) {
      lines.push(`    - ${b}`);
    }
  }
  return lines.join('\n');
}
