import type { Command, DecodeError, ErrorSubject, Reply } from './commands';
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
  /** A join is confirmed with the room's member list (`user_list` reply) rather than a `joined` reply. */
  readonly listsMembersOnJoin: boolean;
  /** The command a client's frame asks for (or why it is not one), with the frame's `type` when it had one (an error answering it names it as `re`). */
  read(raw: string): Decoded;
  /** The frame for an event, or undefined when this dialect does not show it. */
  render(event: HubEvent): string | undefined;
  /** The frame for a reply, or undefined when this dialect sends none for it. */
  renderReply(reply: Reply): string | undefined;
}

/** A decoded frame and the `type` it gave, if it gave one. */
export interface Decoded {
  type?: string;
  command: Command | DecodeError;
}

/**
 * A JSON dialect whose client frames are objects with a string `type`: parsing and the frame's
 * `type` are handled here, the dialect decodes one `type` at a time (`command`).
 */
export abstract class TypedCodec implements Codec {
  abstract readonly name: string;
  readonly listsMembersOnJoin: boolean = false;

  read(raw: string): Decoded {
    const parsed = parseTyped(raw);
    if ('kind' in parsed) return { command: parsed };
    return { type: parsed.type, command: this.command(parsed.type, parsed.msg) };
  }

  abstract render(event: HubEvent): string | undefined;
  abstract renderReply(reply: Reply): string | undefined;

  /** The command of a frame of this `type`, or why it is not one. */
  protected abstract command(type: string, msg: Record<string, unknown>): Command | DecodeError;
}

/** What an error about a decoded frame answers: its `type`, and its room when it named one. */
export function subjectOf(decoded: Decoded): ErrorSubject {
  const { type, command } = decoded;
  return { re: type, room: 'room' in command ? command.room : undefined };
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
