export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` every 50 ms until it gives a truthy value, and resolves with that value;
 * fails after `ms`, with `detail()` saying what was last seen.
 */
export async function until<T>(what: string, ms: number, check: () => T | Promise<T>, detail: () => string = () => ''): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`.trimEnd());
    await sleep(50);
  }
}
