/**
 * A row as the record a store returns: each snake_case column becomes a camelCase field, and a
 * NULL column an absent field (records mark what may be missing as optional).
 */
export function recordOf<R>(row: object): R {
  const record: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value !== null) record[column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return record as R;
}
