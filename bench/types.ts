/** One line of the benchmark table (and of bench/results/*.json). */
export interface BenchRow {
  scenario: string;
  /** e.g. "ms", "req/s", "p95 ms" */
  unit: string;
  value: number;
  /** The baseline measured in the same run, when the scenario has one. */
  baseline?: { name: string; value: number };
  /** Human-readable target, e.g. "<= 3x baseline" or "p95 <= 50 ms". */
  target?: string;
  pass?: boolean;
  note?: string;
}

/** A benchmark module: bench/run.ts calls each in turn against MySQL and prints every row. */
export interface BenchModule {
  name: string;
  run(ctx: { mysqlUrl: string; quick: boolean }): Promise<BenchRow[]>;
}
