/**
 * Alternating slices: A B, B A, A B, … Every subject is measured once per round, neither always
 * goes first, so a slow drift cancels out and a neighbour that steals CPU for a few seconds hits
 * both alike. Summaries take the median over the rounds.
 */

export interface Subject<R> {
  readonly label: string;
  measure(): Promise<R>;
}

export type Round<R> = R & { readonly round: number; readonly label: string };

/**
 * Measures every subject `rounds` times, alternating the order; `progress` turns a result into
 * the few words written to stderr after each slice.
 */
export async function alternate<R extends object>(
  subjects: readonly Subject<R>[],
  rounds: number,
  progress: (result: R) => string,
): Promise<Round<R>[]> {
  const results: Round<R>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? subjects : [...subjects].reverse();
    for (const subject of order) {
      process.stderr.write(`round ${round}/${rounds}: ${subject.label}... `);
      const result = await subject.measure();
      process.stderr.write(`${progress(result)}\n`);
      results.push({ ...result, round, label: subject.label });
    }
  }
  return results;
}

/** The result of `label` in each round, in round order. */
export function slicesOf<R>(results: readonly Round<R>[], label: string): Round<R>[] {
  return results.filter((result) => result.label === label);
}

/** `subject` over `reference` within each round: slices seconds apart, under like conditions. */
export function pairedRatios<R>(
  results: readonly Round<R>[],
  subject: string,
  reference: string,
  value: (result: R) => number,
): number[] {
  const ratios: number[] = [];
  for (const round of new Set(results.map((result) => result.round))) {
    const a = results.find((r) => r.round === round && r.label === subject);
    const b = results.find((r) => r.round === round && r.label === reference);
    if (a && b) ratios.push(value(a) / value(b));
  }
  return ratios;
}
