import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Connection } from '../connection';
import type { FrameIntake } from '../frame-intake';
import type { UplinkAnswer } from './uplink-relay';

/** A session id as this server issues them (16 base64url characters). */
export const SESSION_ID = /^[A-Za-z0-9_-]{16}$/;

/** The SHA-256 of a session token (base64url): what a POST's token is compared by, here and across the bus. */
export function proofOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

interface Session {
  conn: Connection;
  proof: Buffer;
  /** The largest frame the session's endpoint takes. */
  maxFrameBytes: number;
}

/**
 * The SSE sessions whose streams this replica holds: each is named by a random id and
 * guarded by a random token, of which only the hash is kept. Frames POSTed to one — here, or
 * forwarded by another replica — go through the same intake as a WebSocket's frames.
 */
export class SseSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly intake: FrameIntake) {}

  /** Registers the connection of a new stream; returns its session id and token. */
  open(conn: Connection, maxFrameBytes: number): { id: string; token: string } {
    const id = randomBytes(12).toString('base64url');
    const token = randomBytes(24).toString('base64url');
    this.sessions.set(id, { conn, proof: Buffer.from(proofOf(token)), maxFrameBytes });
    return { id, token };
  }

  close(id: string): void {
    this.sessions.delete(id);
  }

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /**
   * Frames POSTed to session `id` with a token whose proof is `proof`: all of them handed to
   * the connection in order (202), or none (403 wrong token, 404 no such session here, 413 a
   * frame over the endpoint's limit). A POST counts as a sign of life for the heartbeat.
   */
  take(id: string, proof: string, frames: readonly string[]): UplinkAnswer {
    const session = this.sessions.get(id);
    if (session === undefined || !session.conn.open) return { status: 404, reason: 'no such session: open a new stream' };
    const given = Buffer.from(proof);
    if (given.length !== session.proof.length || !timingSafeEqual(given, session.proof)) return { status: 403, reason: 'wrong session token' };
    const sizes = frames.map((f) => Buffer.byteLength(f));
    if (sizes.some((n) => n > session.maxFrameBytes)) return { status: 413, reason: `a frame is larger than this endpoint's limit of ${session.maxFrameBytes} bytes; nothing was taken` };
    const { conn } = session;
    conn.lastSeen = Date.now();
    frames.forEach((frame, i) => this.intake.take(conn, frame, false, sizes[i]));
    return { status: 202 };
  }
}
