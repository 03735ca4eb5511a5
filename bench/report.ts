/** The console table `npm run bench` prints. */
import type { BenchResult, BenchRun } from './stats.js';

function goalText(r: BenchResult): string {
  return `${{ '<=': '≤', '<': '<', '>=': '≥' }[r.goal.op]} ${r.goal.limit}${r.unit === '×' ? '×' : ` ${r.unit}`}`;
}

function valueText(r: BenchResult): string {
  return r.unit === '×' ? `${r.value}×` : `${r.value} ${r.unit}`;
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => c.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();
}

function details(summary: Record<string, number>): string {
  return Object.entries(summary)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

export function printTable(runs: BenchRun[]): void {
  const header = ['benchmark', 'measured', 'goal', 'result', 'what'];
  const rows = runs.flatMap((run) =>
    run.error
      ? [[run.name, '—', '—', 'ERROR', run.title]]
      : run.results.map((r) => [r.id, valueText(r), goalText(r), r.pass ? 'PASS' : 'FAIL', r.metric]),
  );
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((row) => row[i]!.length)));
  console.log(`\n${pad(header, widths)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(pad(row, widths));
  console.log('\ndetails');
  for (const run of runs) {
    if (run.error) console.log(`  ${run.name} (${run.seconds} s): ${run.error}`);
    for (const r of run.results) console.log(`  ${r.id} (${run.seconds} s): ${details(r.summary)}`);
  }
  const all = runs.flatMap((r) => r.results);
  console.log(
    `\n${all.filter((r) => r.pass).length} of ${all.length} goals met${runs.some((r) => r.error) ? `; ${runs.filter((r) => r.error).length} benchmark(s) crashed` : ''}`,
  );
}
