import { SwitchboardError } from './errors';

/** Close codes (libs/protocol CloseCode) the chat client acts on. */
export const CloseCodes = {
  /** The replica drains: reconnect, to the next URL. */
  ServiceRestart: 1012,
  /** The message rate limit was exceeded for good. */
  PolicyViolation: 1008,
  /** A frame was larger than the server takes. */
  MessageTooBig: 1009,
  /** The session was revoked, or a `refresh` was refused. */
  SessionRevoked: 4001,
  /** The token reached its `exp` without a `refresh`. */
  TokenExpired: 4003,
} as const;

/** How a connection (or an attempt) ended. */
export interface Ending {
  code: number;
  reason: string;
  /** The HTTP status of a refused handshake, when the platform tells it (Node does, browsers do not). */
  status?: number;
  /** Whether the connection had opened. */
  opened: boolean;
  url: string;
  /** Whether a token function can give a fresh token. */
  renewable: boolean;
  /** Auth refusals since the last connection that opened. */
  authRefusals: number;
}

/** What follows a close: the client fails (with `unauthorized` said first for a refused credential), or reconnects. */
export type Verdict = { fail: SwitchboardError; unauthorized: boolean } | { reconnect: true; authRefused: boolean };

/**
 * Whether a close ends the client. A refused credential (4001, HTTP 401) does unless a token
 * function gets one more chance; an expired token (4003) does without a token function; a
 * broken limit (1008, 1009) does. Every other close reconnects.
 */
export function verdict(e: Ending): Verdict {
  const { code, reason } = e;
  if (code === CloseCodes.SessionRevoked || e.status === 401) {
    if (e.renewable && e.authRefusals === 0) return { reconnect: true, authRefused: true };
    const why = e.opened ? `the server ended the session (${code}): ${reason || 'credential revoked'}` : `could not connect to ${e.url} (HTTP 401): the credential was refused`;
    return { fail: new SwitchboardError('unauthorized', why, undefined, code), unauthorized: true };
  }
  if (code === CloseCodes.TokenExpired && !e.renewable) {
    return { fail: new SwitchboardError('token_expired', `the token expired and there is no token function to renew it (${code})`, undefined, code), unauthorized: false };
  }
  if (code === CloseCodes.PolicyViolation) {
    return { fail: new SwitchboardError('rate_limit', `${reason || 'the message rate limit was exceeded'} (${code})`, undefined, code), unauthorized: false };
  }
  if (code === CloseCodes.MessageTooBig) {
    return { fail: new SwitchboardError('message_too_big', `${reason || 'a frame was larger than the server takes'} (${code})`, undefined, code), unauthorized: false };
  }
  return { reconnect: true, authRefused: false };
}
