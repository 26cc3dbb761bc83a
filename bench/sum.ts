/** The numeric fields of T. */
type CountKey<T> = { [K in keyof T]: T[K] extends number ? K : never }[keyof T];

/** Each named count summed over the child processes' reports. */
export function sumCounts<T, K extends CountKey<T>>(reports: T[], keys: readonly K[]): Pick<T, K> {
  const out: Record<string, number> = {};
  for (const key of keys) {
    let sum = 0;
    for (const r of reports) sum += r[key] as number;
    out[key as string] = sum;
  }
  return out as Pick<T, K>;
}

/** Counts by key (close codes, reasons) summed over the reports. */
export function sumByKey(tallies: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tally of tallies) for (const [key, n] of Object.entries(tally)) out[key] = (out[key] ?? 0) + n;
  return out;
}

/** The first defined value, in the reports' order. */
export function firstOf<T>(values: Array<T | undefined>): T | undefined {
  return values.find((v) => v !== undefined);
}
