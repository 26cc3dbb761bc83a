/** Whether a received frame's bytes begin with `prefix` (classifies a frame without parsing its JSON). */
export function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** How the gateway's frames of each type begin (it writes `type` first). */
export const MESSAGE_PREFIX = Buffer.from('{"type":"message"');
export const USER_LIST_PREFIX = Buffer.from('{"type":"user_list"');
export const ERROR_PREFIX = Buffer.from('{"type":"error"');
