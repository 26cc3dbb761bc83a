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
    const { type, msg } = parsed;
    return { type, command: sessionCommand(type, msg) ?? this.command(type, msg) };
  }

  abstract render(event: HubEvent): string | undefined;
  abstract renderReply(reply: Reply): string | undefined;

  /** The command of a frame of this `type`, or why it is not one. */
  protected abstract command(type: string, msg: Record<string, unknown>): Command | DecodeError;
}

/** The longest JWT a `refresh` frame may carry. */
const MAX_TOKEN_LENGTH = 8192;
/** Publish ids are 1 to this many characters. */
export const MAX_PUBLISH_ID_LENGTH = 64;

/**
 * The frames every dialect takes alike, about the connection rather than rooms:
 * `refresh {token}` and `limits`. Undefined for any other type.
 */
function sessionCommand(type: string, msg: Record<string, unknown>): Command | DecodeError | undefined {
  if (type === 'refresh') {
    const { token } = msg;
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return invalid(ErrorCode.BadField, '"refresh" needs "token" (a JWT of the same subject)');
    return { kind: 'refresh', token };
  }
  if (type === 'limits') return { kind: 'limits' };
  return undefined;
}

/**
 * Reads a chat frame's optional publish `id` and hands it to `make`: undefined when absent,
 * an error naming the field when it is not a string of 1-64 characters.
 */
export function withPublishId(type: string, id: unknown, make: (id: string | undefined) => Command | DecodeError): Command | DecodeError {
  if (id === undefined) return make(undefined);
  if (typeof id !== 'string' || id === '' || id.length > MAX_PUBLISH_ID_LENGTH) {
    return invalid(ErrorCode.BadField, `"${type}" has an invalid "id": expected a string of 1-${MAX_PUBLISH_ID_LENGTH} characters`);
  }
  return make(id);
}

/**
 * The frames every dialect renders alike (`refreshed`, `ack`, `limits`); undefined for
 * any other reply. Seed clients never see them: each answers a frame only new clients send.
 */
export function renderSessionReply(reply: Reply): string | undefined {
  switch (reply.kind) {
    case 'refreshed':
      return JSON.stringify({ type: 'refreshed', exp: reply.exp });
    case 'ack':
      return JSON.stringify({ type: 'ack', id: reply.id, room: reply.room, offset: reply.position?.offset, epoch: reply.position?.epoch });
    case 'limits': {
      const { maxMessageSize, messageRate, messageBurst, maxPublishIdLength, publishDedupWindowMs, joinCost, resumeCost, userListCost } = reply.limits;
      return JSON.stringify({
        type: 'limits',
        max_message_size: maxMessageSize,
        message_rate: messageRate,
        message_burst: messageBurst,
        max_publish_id_length: maxPublishIdLength,
        publish_dedup_window_ms: publishDedupWindowMs,
        join_cost: joinCost,
        resume_cost: resumeCost,
        user_list_cost: userListCost,
      });
    }
    default:
      return undefined;
  }
}

/** What an error about a decoded frame answers: its `type`, and its room when it named one. */
export function subjectOf(decoded: Decoded): ErrorSubject {
  const { type, command } = decoded;
  const subject: ErrorSubject = { re: type, room: 'room' in command ? command.room : undefined };
  if (command.kind === 'say' && command.id !== undefined) subject.id = command.id;
  return subject;
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
