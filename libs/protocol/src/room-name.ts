/** Room names: 1–128 characters of letters, digits and `_ - . : @ #`. */
const ROOM_NAME = /^[A-Za-z0-9_.:@#-]{1,128}$/;

export function isRoomName(value: unknown): value is string {
  return typeof value === 'string' && ROOM_NAME.test(value);
}

/**
 * Whether a token's `rooms` claim lets it into `room`. Patterns are room names where `*`
 * matches any run of characters; an absent claim allows every room.
 */
export function roomAllowed(patterns: readonly string[] | undefined, room: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((p) => (p.includes('*') ? globToRegExp(p).test(room) : p === room));
}

const globCache = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`);
    if (globCache.size < 1000) globCache.set(pattern, re);
  }
  return re;
}
