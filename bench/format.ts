/** Number formats and the plain-text table shared by the benches' console reports. */

export const int = (value: number): string => Math.round(value).toLocaleString('en-US');
export const ms = (value: number): string => value.toFixed(2);
export const pct = (value: number | undefined): string =>
  value === undefined ? '-' : `${Math.round(value * 100)}%`;

/** Columns separated by two spaces: the first two left-aligned (labels), the rest right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
