/** One benchmark figure printed beside a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
  /** value / baseline (for time-like units where lower is better, say so in `target`). */
  ratio: number;
  target?: string;
  pass?: boolean;
}
