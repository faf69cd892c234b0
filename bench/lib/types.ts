/** What each benchmark answers: figures side by side with their references, targets, and the analysis. */

export interface Figure {
  /** What is measured, e.g. `requests/s`. */
  readonly metric: string;
  /** The figure, formatted with its unit. */
  readonly value: string;
  /** The reference measured in the same run, formatted; omitted when the figure has none. */
  readonly reference?: string;
  /** What the reference is, e.g. `bare Hono route`. */
  readonly referenceName?: string;
  /** figure ÷ reference, formatted. */
  readonly ratio?: string;
}

export interface Target {
  /** The target, e.g. `≥ 25% of the bare route's throughput`. */
  readonly target: string;
  /** What was measured against it. */
  readonly measured: string;
  /** null: not a pass/fail figure (informational). */
  readonly met: boolean | null;
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  /** How it was measured: the setup, the load, the repeats. */
  readonly method: readonly string[];
  readonly figures: readonly Figure[];
  readonly targets: readonly Target[];
  /** Why a target is missed and what would reach it; anything surprising. */
  readonly analysis: readonly string[];
  /** Per-repeat numbers, kept in bench/results.json. */
  readonly raw?: unknown;
  readonly seconds: number;
  /** ISO time the benchmark ran. */
  readonly at: string;
}

export interface Benchmark {
  readonly name: string;
  readonly title: string;
  run(): Promise<Omit<BenchResult, 'name' | 'title' | 'seconds' | 'at'>>;
}
