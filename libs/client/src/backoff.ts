/** Exponential backoff with full jitter: a delay drawn uniformly from [0, min(max, initial × 2^attempt)]. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, initialMs * 2 ** attempt));
}
