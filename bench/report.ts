// The report: one table per scenario (clawcord beside the two anchor policies and the ideal reference, with ratios),
// then the targets.
import type { EditPolicy } from '../src/relay/pacer.js';
import { percentile, type StreamMetrics } from './metrics.js';
import type { RunResult } from './runner.js';

export const POLICIES: EditPolicy[] = ['clawcord', 'llmcord', 'openclaw-plugin'];
export const ANCHORS: EditPolicy[] = ['llmcord', 'openclaw-plugin'];

/** The figures of one run. undefined: not measured (a stream never showed it, or the run failed). */
export interface Figures {
  firstP50: number | undefined;
  firstP99: number | undefined;
  staleCharsP50: number | undefined;
  staleCharsP99: number | undefined;
  staleMsP50: number | undefined;
  staleMsP99: number | undefined;
  finalP50: number | undefined;
  finalP99: number | undefined;
  editsPerStream: number | undefined;
  rateLimited: number;
  cpuUsPerEvent: number | undefined;
  peakRssMb: number | undefined;
}

type StreamFigures = Pick<Figures, 'firstP50' | 'firstP99' | 'staleCharsP50' | 'staleCharsP99' | 'staleMsP50' | 'staleMsP99' | 'finalP50' | 'finalP99' | 'editsPerStream'>;

function streamFigures(streams: readonly StreamMetrics[]): StreamFigures {
  const stale = (key: 'stalenessChars' | 'stalenessMs') => streams.flatMap((s) => s[key]);
  return {
    firstP50: percentile(streams.map((s) => s.firstVisibleMs), 0.5),
    firstP99: percentile(streams.map((s) => s.firstVisibleMs), 0.99),
    staleCharsP50: percentile(stale('stalenessChars'), 0.5),
    staleCharsP99: percentile(stale('stalenessChars'), 0.99),
    staleMsP50: percentile(stale('stalenessMs'), 0.5),
    staleMsP99: percentile(stale('stalenessMs'), 0.99),
    finalP50: percentile(streams.map((s) => s.finalMs), 0.5),
    finalP99: percentile(streams.map((s) => s.finalMs), 0.99),
    editsPerStream: streams.length ? streams.reduce((sum, s) => sum + s.edits, 0) / streams.length : undefined,
  };
}

export function figures(run: RunResult): Figures {
  const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
  return {
    ...streamFigures(run.streams),
    rateLimited: run.rateLimited,
    cpuUsPerEvent: run.events > 0 ? finite((run.cpuMs * 1000) / run.events) : undefined,
    peakRssMb: finite(run.peakRss / (1024 * 1024)),
  };
}

/** The ideal reference of a scenario: simulated on clawcord's run (the one the targets judge), else on another. */
export function idealFigures(runs: Map<EditPolicy, RunResult> | undefined): StreamFigures | undefined {
  if (!runs) return undefined;
  const run = runs.get('clawcord')?.ideal ? runs.get('clawcord') : [...runs.values()].find((r) => r.ideal);
  return run?.ideal ? streamFigures(run.ideal) : undefined;
}

interface Row {
  label: string;
  key: keyof Figures;
  digits: number;
}

const ROWS: Row[] = [
  { label: 'first visible text p50 (ms)', key: 'firstP50', digits: 0 },
  { label: 'first visible text p99 (ms)', key: 'firstP99', digits: 0 },
  { label: 'staleness p50 (chars behind)', key: 'staleCharsP50', digits: 0 },
  { label: 'staleness p99 (chars behind)', key: 'staleCharsP99', digits: 0 },
  { label: 'staleness p50 (ms behind)', key: 'staleMsP50', digits: 0 },
  { label: 'staleness p99 (ms behind)', key: 'staleMsP99', digits: 0 },
  { label: 'final content p50 (ms after final event)', key: 'finalP50', digits: 0 },
  { label: 'final content p99 (ms after final event)', key: 'finalP99', digits: 0 },
  { label: 'edits per stream', key: 'editsPerStream', digits: 1 },
  { label: '429 responses', key: 'rateLimited', digits: 0 },
  { label: 'bot CPU per gateway event (µs)', key: 'cpuUsPerEvent', digits: 1 },
  { label: 'bot peak RSS (MB)', key: 'peakRssMb', digits: 0 },
];

function format(value: number | undefined, digits: number): string {
  if (value === undefined) return 'never';
  return value.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return '–';
  if (b === 0) return a === 0 ? '1.00' : '∞';
  return (a / b).toFixed(2);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export type Results = Map<number, Map<EditPolicy, RunResult>>;

export function scenarioTable(runs: Map<EditPolicy, RunResult>): string {
  const present = POLICIES.filter((p) => runs.has(p));
  const anchors = ANCHORS.filter((p) => runs.has(p));
  const figs = new Map(present.map((p) => [p, figures(runs.get(p)!)]));
  const clawcord = figs.get('clawcord');
  const ideal = idealFigures(runs);
  // The ideal is a simulation: it has no requests refused, no CPU and no memory of its own.
  const idealValue = (key: keyof Figures) => (ideal && key in ideal ? ideal[key as keyof StreamFigures] : undefined);
  const idealCell = (row: Row) => (ideal && row.key in ideal ? format(idealValue(row.key), row.digits) : '–');
  const header = [
    '',
    ...present,
    ...(ideal ? ['ideal'] : []),
    ...(clawcord ? anchors.map((a) => `clawcord ÷ ${a}`) : []),
    ...(clawcord && ideal ? ['clawcord ÷ ideal'] : []),
  ];
  const rows = ROWS.map((row) => [
    row.label,
    ...present.map((p) => format(figs.get(p)![row.key], row.digits)),
    ...(ideal ? [idealCell(row)] : []),
    ...(clawcord ? anchors.map((a) => ratio(clawcord[row.key], figs.get(a)![row.key])) : []),
    ...(clawcord && ideal ? [row.key in ideal ? ratio(clawcord[row.key], idealValue(row.key)) : '–'] : []),
  ]);
  return table(header, rows);
}

export function scenarioNotes(runs: Map<EditPolicy, RunResult>): string[] {
  const notes: string[] = [];
  for (const [policy, run] of runs) {
    const by = Object.entries(run.rateLimitedBy).map(([kind, n]) => `${n} ${kind}`).join(', ');
    notes.push(
      `${policy}: ${run.requests} requests to Discord, ${run.events} gateway events, ${(run.cpuMs / 1000).toFixed(2)} s bot CPU, ${(run.benchCpuMs / 1000).toFixed(2)} s bench CPU, ${(run.wallMs / 1000).toFixed(1)} s` +
        (by ? `; 429s by bucket: ${by}` : ''),
    );
    for (const error of run.errors) notes.push(`${policy}: BENCH ERROR: ${error}`);
  }
  return notes;
}

export interface TargetResult {
  pass: boolean;
  text: string;
}

function better(runs: Map<EditPolicy, RunResult> | undefined, key: keyof Figures): { policy: EditPolicy; value: number } | undefined {
  let best: { policy: EditPolicy; value: number } | undefined;
  for (const anchor of ANCHORS) {
    const run = runs?.get(anchor);
    const value = run ? figures(run)[key] : undefined;
    if (value !== undefined && (best === undefined || value < best.value)) best = { policy: anchor, value };
  }
  return best;
}

/** The issue's targets, each judged on clawcord's figures. */
export function targets(results: Results): TargetResult[] {
  const out: TargetResult[] = [];
  const claw = (id: number) => {
    const run = results.get(id)?.get('clawcord');
    return run ? figures(run) : undefined;
  };
  const check = (id: number, text: string, pass: (f: Figures) => boolean, shown: (f: Figures) => string) => {
    const f = claw(id);
    if (!f) return;
    out.push({ pass: pass(f), text: `scenario ${id}: ${text} (${shown(f)})` });
  };
  const ms = (v: number | undefined) => (v === undefined ? 'never' : `${Math.round(v)} ms`);
  const le = (v: number | undefined, max: number) => v !== undefined && v <= max;

  for (const id of [1, 2, 3, 4, 5]) check(id, 'zero 429 responses', (f) => f.rateLimited === 0, (f) => `${f.rateLimited}`);
  for (const id of [1, 3]) {
    check(id, 'first visible text p50 ≤ 300 ms', (f) => le(f.firstP50, 300), (f) => ms(f.firstP50));
    check(id, 'first visible text p99 ≤ 1 s', (f) => le(f.firstP99, 1_000), (f) => ms(f.firstP99));
  }
  for (const id of [1, 4]) check(id, 'final content p99 ≤ 300 ms after the final gateway event', (f) => le(f.finalP99, 300), (f) => ms(f.finalP99));
  check(2, 'final content p99 ≤ 1.5 s after the final gateway event', (f) => le(f.finalP99, 1_500), (f) => ms(f.finalP99));

  const staleness = (id: number, text: string, judge: (mine: number, anchor: number) => boolean, with429: boolean) => {
    const f = claw(id);
    if (!f) return;
    for (const [key, unit] of [['staleCharsP50', 'chars'], ['staleMsP50', 'ms']] as const) {
      const best = better(results.get(id), key);
      const mine = f[key];
      if (!best) continue;
      const pass = mine !== undefined && judge(mine, best.value) && (!with429 || f.rateLimited === 0);
      out.push({
        pass,
        text: `scenario ${id}: staleness p50 (${unit}) ${text} (clawcord ${format(mine, 0)}, better anchor ${best.policy} ${best.value.toFixed(0)}, ratio ${ratio(mine, best.value)}${with429 ? `, 429s ${f.rateLimited}` : ''})`,
      });
    }
  };
  for (const id of [2, 3]) staleness(id, 'at least 1.5× lower than the better anchor, with zero 429s', (mine, anchor) => mine * 1.5 <= anchor, true);

  // Scenarios 1 and 4 are judged against the limit the bucket allows: the ideal reference.
  for (const id of [1, 4]) {
    const f = claw(id);
    const ideal = idealFigures(results.get(id));
    if (!f || !ideal) continue;
    const bounds = [
      ['staleCharsP50', 'p50', 'chars', 1.1],
      ['staleMsP50', 'p50', 'ms', 1.1],
      ['staleCharsP99', 'p99', 'chars', 1.5],
      ['staleMsP99', 'p99', 'ms', 1.5],
    ] as const;
    for (const [key, p, unit, factor] of bounds) {
      const mine = f[key];
      const limit = ideal[key];
      const pass = mine !== undefined && limit !== undefined && mine <= limit * factor;
      out.push({
        pass,
        text: `scenario ${id}: staleness ${p} (${unit}) ≤ ${factor}× the ideal (clawcord ${format(mine, 0)}, ideal ${format(limit, 0)}, ratio ${ratio(mine, limit)})`,
      });
    }
  }

  check(5, 'bot CPU ≤ 50 µs per gateway event', (f) => le(f.cpuUsPerEvent, 50), (f) => `${format(f.cpuUsPerEvent, 1)} µs`);
  check(3, 'bot peak RSS ≤ 150 MB', (f) => le(f.peakRssMb, 150), (f) => `${format(f.peakRssMb, 0)} MB`);
  return out;
}
