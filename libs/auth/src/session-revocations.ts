/**
 * Per user, the time from which JWTs count (unix seconds), kept in memory so checking a token
 * needs no read of any store. Entries older than the retention (the longest a token lives)
 * are forgotten: every token issued before them has expired.
 */
export class SessionRevocations {
  private readonly validFrom = new Map<string, number>();

  constructor(private readonly retentionMs: number) {}

  /** Records a revocation; returns false when an equal or later one was already known. */
  apply(userId: string, validFrom: number): boolean {
    if ((this.validFrom.get(userId) ?? 0) >= validFrom) return false;
    this.validFrom.set(userId, validFrom);
    return true;
  }

  /** True when a token of `userId` issued at `issuedAt` (unix seconds; undefined: unknown) no longer counts. */
  isRevoked(userId: string, issuedAt: number | undefined): boolean {
    const from = this.validFrom.get(userId);
    return from !== undefined && (issuedAt === undefined || issuedAt < from);
  }

  /** The earliest `iat` a new token of `userId` may carry (now, or later after a revocation this second). */
  issueTime(userId: string, nowSeconds: number): number {
    return Math.max(nowSeconds, this.validFrom.get(userId) ?? 0);
  }

  prune(now = Date.now()): void {
    const oldest = (now - this.retentionMs) / 1000;
    for (const [userId, from] of this.validFrom) if (from < oldest) this.validFrom.delete(userId);
  }
}
