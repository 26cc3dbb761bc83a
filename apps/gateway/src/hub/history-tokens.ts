import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Identity } from '@switchboard/auth';
import type { StreamPosition } from '@switchboard/protocol';

/**
 * History resume tokens (`resume_token` of a join confirmation): what lets a client replay a
 * room's history from a position on. Signed, as signaling's resume tokens are, with a key
 * derived from JWT_SECRET (so every replica checks what any replica issued), over the room,
 * the position (epoch, offset) and the subject; the token carries only the position, in
 * base64url, then a dot and the signature — it fits an SSE event id. A token does not expire:
 * the history's own window (WEBSOCKET_HISTORY_SIZE / _TTL) bounds what it can replay.
 */
export class HistoryTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key of its own: never a JWT's, nor a signaling resume token's.
    this.key = createHmac('sha256', secret).update('switchboard history resume token v1').digest();
  }

  issue(room: string, subject: string, position: StreamPosition): string {
    const body = Buffer.from(JSON.stringify({ e: position.epoch, o: position.offset })).toString('base64url');
    return `${body}.${this.sign(room, subject, body)}`;
  }

  /** The position a token lets `subject` resume `room` from; undefined when it is malformed, forged, or another room's or subject's. */
  read(token: string, room: string, subject: string): StreamPosition | undefined {
    const dot = token.indexOf('.');
    if (dot < 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(room, subject, body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { e, o } = JSON.parse(Buffer.from(body, 'base64url').toString()) as { e: unknown; o: unknown };
      return typeof e === 'string' && typeof o === 'number' && Number.isSafeInteger(o) && o >= 0 ? { epoch: e, offset: o } : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(room: string, subject: string, body: string): string {
    return createHmac('sha256', this.key).update(`${room}\n${subject}\n${body}`).digest('base64url');
  }
}

/** Whose history resume a token is: a registered user's id, or a guest's (its own space: a guest never holds a user's token). */
export function historySubject(identity: Identity): string {
  return `${identity.authenticated ? 'user' : 'guest'}:${identity.userId}`;
}
