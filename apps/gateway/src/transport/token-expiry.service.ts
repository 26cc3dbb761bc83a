import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AuthError, Authenticator } from '@switchboard/auth';
import { CloseCode, ErrorCode } from '@switchboard/protocol';
import type { Connection } from './connection';

/** How often due connections are looked for: closes come at most this late after `exp`. */
const SWEEP_MS = 250;

/**
 * Ends JWT connections at their token's `exp` (close 4003 "token expired") unless the client
 * sent a fresh token of the same subject first (`refresh`), which moves the deadline.
 *
 * One timer for the replica, never one per connection: connections wait in buckets by the
 * second their token expires (a timer wheel of one-second slots), and each sweep visits only
 * the seconds that passed since the last one. A connection leaves its bucket when it closes
 * or is refreshed, so nothing is held for a connection that is gone.
 */
@Injectable()
export class TokenExpiryService implements OnModuleInit, OnApplicationShutdown {
  /** Connections by the second (unix) their token expires. */
  private readonly due = new Map<number, Set<Connection>>();
  /** Each watched connection's bucket second. */
  private readonly slot = new Map<Connection, number>();
  /** The last second swept: every bucket up to it is empty. */
  private swept = nowSeconds() - 1;
  private timer?: NodeJS.Timeout;

  constructor(private readonly auth: Authenticator) {}

  onModuleInit(): void {
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Connections waiting for their token's expiry (tests, metrics). */
  get watched(): number {
    return this.slot.size;
  }

  /** A connection opened: one authenticated with a JWT that has `exp` is watched. */
  opened(conn: Connection): void {
    const { identity } = conn;
    if (identity.via === 'jwt' && identity.expiresAt !== undefined) this.schedule(conn, identity.expiresAt);
  }

  /** A connection closed: forget it. */
  closed(conn: Connection): void {
    const second = this.slot.get(conn);
    if (second === undefined) return;
    this.slot.delete(conn);
    const bucket = this.due.get(second);
    bucket?.delete(conn);
    if (bucket?.size === 0) this.due.delete(second);
  }

  /**
   * A `refresh` frame: a valid, unrevoked JWT of the connection's own subject moves its
   * deadline to the new `exp` (`refreshed`); anything else gets an `error` and close 4001.
   * A connection opened without a JWT (a guest, an API key) has nothing to refresh: `error`.
   */
  refresh(conn: Connection, token: string): void {
    const about = { re: 'refresh' };
    const current = conn.identity;
    if (current.via !== 'jwt') {
      return conn.error(ErrorCode.RefreshFailed, 'this connection was not opened with a JWT: there is nothing to refresh', about);
    }
    let fresh;
    try {
      fresh = this.auth.verifyJwt(token);
    } catch (err) {
      return this.refuse(conn, err instanceof AuthError ? err.message : 'invalid token');
    }
    if (fresh.userId !== current.userId) return this.refuse(conn, 'token is for another subject (sub)');
    // The names stay those the connection joined with (presence lists them); what the token allows is the new one's.
    conn.identity = { ...current, rooms: fresh.rooms, permissions: fresh.permissions, issuedAt: fresh.issuedAt, expiresAt: fresh.expiresAt };
    this.closed(conn);
    if (fresh.expiresAt !== undefined) this.schedule(conn, fresh.expiresAt);
    conn.reply({ kind: 'refreshed', exp: fresh.expiresAt ?? 0 });
  }

  private refuse(conn: Connection, why: string): void {
    conn.error(ErrorCode.RefreshFailed, `refresh refused: ${why}; the connection closes (4001)`, { re: 'refresh' });
    conn.close(CloseCode.SessionRevoked, 'refresh refused', 'revoked');
  }

  private schedule(conn: Connection, exp: number): void {
    // A token that expires within a second already swept is due at the next sweep.
    const second = Math.max(exp, this.swept + 1);
    let bucket = this.due.get(second);
    if (bucket === undefined) this.due.set(second, (bucket = new Set()));
    bucket.add(conn);
    this.slot.set(conn, second);
  }

  /** Closes the connections of every second that began since the last sweep (a token is valid while now < exp). */
  sweep(nowMs = Date.now()): void {
    const now = Math.floor(nowMs / 1000);
    for (let second = this.swept + 1; second <= now; second++) {
      const bucket = this.due.get(second);
      if (bucket === undefined) continue;
      this.due.delete(second);
      for (const conn of bucket) {
        this.slot.delete(conn);
        conn.close(CloseCode.TokenExpired, 'token expired', 'expired');
      }
    }
    this.swept = now;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
