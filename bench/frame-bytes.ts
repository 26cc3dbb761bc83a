/** Whether a received frame's bytes begin with `prefix` (classifies a frame without parsing its JSON). */
export function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
