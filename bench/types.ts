import type { Store } from '../test/helpers/database.js';

export type { Store };

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

/** A row as bench/run.ts prints and stores it: which module measured it, on which store. */
export interface ResultRow extends BenchRow {
  module: string;
  store: Store;
}

export interface BenchContext {
  /** The store the koobridge server (and the raw-driver baselines) run on. */
  store: Store;
  /** Where MySQL answers; the MySQL schemas are made there (unused on SQLite). */
  mysqlUrl: string;
  quick: boolean;
}

/** A benchmark module: bench/run.ts calls each in turn, once per store, and prints every row. */
export interface BenchModule {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
