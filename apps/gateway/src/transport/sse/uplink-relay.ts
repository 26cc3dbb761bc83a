/** How the replica holding an SSE session took frames POSTed to it: the HTTP status the POST answers with. */
export interface UplinkAnswer {
  /** 202 taken (handled in order, answers on the stream); 403 wrong token; 404 no such session; 413 a frame over the endpoint's limit; 503 bus down; 504 no answer. */
  status: 202 | 403 | 404 | 413 | 503 | 504;
  reason?: string;
}

/** Takes frames POSTed to a session of this replica (the SSE endpoint's registry). */
export type UplinkTaker = (sessionId: string, proof: string, frames: readonly string[]) => UplinkAnswer;

/**
 * How a POST reaches an SSE session held by another replica, without sticky sessions. The
 * cluster provides it (over the bus); the transport never sees the bus.
 *
 * Guarantees: `open` resolves once uplinks POSTed to the session on any replica reach this
 * one's taker; `forward` resolves with the holder's own answer (404 when no replica holds the
 * session, 503 when the bus refused, 504 when the holder did not answer in time); frames
 * forwarded by one replica arrive in the order forwarded, and a POST sent after an earlier
 * one was answered is taken after it, whichever replicas the two reached.
 */
export interface UplinkRelay {
  open(sessionId: string): Promise<void>;
  close(sessionId: string): void;
  forward(sessionId: string, proof: string, frames: readonly string[]): Promise<UplinkAnswer>;
  /** Where uplinks for this replica's sessions go. */
  serve(taker: UplinkTaker): void;
}

/** Injection token for the UplinkRelay. */
export const UPLINK_RELAY = Symbol('UPLINK_RELAY');
