import type { Command, DecodeError, Reply } from './commands';
import { ErrorCode } from './codes';
import type { HubEvent } from './events';

/**
 * A wire dialect at the edge: decodes a client's text frame into a command and renders
 * events and replies into text frames. Codecs are stateless; `render` is called once per
 * event per codec on a replica, never once per recipient.
 */
export interface Codec {
  /** Stable name, used in metrics. */
  readonly name: string;
  decode(raw: string): Command | DecodeError;
  /** The frame for an event, or undefined when this dialect does not show it. */
  render(event: HubEvent): string | undefined;
  /** The frame for a reply, or undefined when this dialect sends none for it. */
  renderReply(reply: Reply): string | undefined;
}

export function invalid(code: ErrorCode, message: string): DecodeError {
  return { kind: 'invalid', code, message };
}

/** Parses a frame into a JSON object with a string `type`, or explains why not. */
export function parseTyped(raw: string): { type: string; msg: Record<string, unknown> } | DecodeError {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return invalid(ErrorCode.BadJson, 'invalid message: malformed JSON');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return invalid(ErrorCode.BadJson, 'invalid message: expected a JSON object');
  }
  const type = (msg as Record<string, unknown>).type;
  if (typeof type !== 'string' || type === '') {
    return invalid(ErrorCode.UnknownType, 'invalid message: missing "type"');
  }
  return { type, msg: msg as Record<string, unknown> };
}
