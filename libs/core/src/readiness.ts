import { Injectable } from '@nestjs/common';

/** One thing readiness depends on: its name, and whether it is up now (with a reason if not). */
export type ReadinessCheck = () => Promise<true | string> | true | string;

/**
 * What `/health/ready` checks. Each module registers what it depends on (the bus, the
 * database, not draining); the health controller reports them all.
 */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Every check's state now: `true`, or why it is down (a check that throws is down with its message). */
  async status(): Promise<Record<string, true | string>> {
    const states = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, true | string]> => {
        try {
          return [name, await check()];
        } catch (err) {
          return [name, (err as Error).message];
        }
      }),
    );
    return Object.fromEntries(states);
  }
}
