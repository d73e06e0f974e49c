/** The one statistic every bench summary uses: medians, robust to a slice a neighbour disturbed. */

/** The median of `values`, NaN when there are none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Rounds to three decimals, for the JSON summaries. */
export const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** The median of the values that are defined; undefined when none is (e.g. not Linux). */
export function medianDefined(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : median(defined);
}
