/** At most this many frames in one POST (a client batches what it queued while its last POST was out). */
export const MAX_FRAMES_PER_POST = 100;

/**
 * The client frames of an uplink POST's body: one frame (a JSON object, passed on as the
 * client wrote it) or an array of frames (each passed on as compact JSON; an element that is
 * not an object still goes on, and its dialect answers it with an `error` event, as it would a
 * WebSocket frame). Anything else is a bad request.
 */
export function framesOf(body: string): string[] | { bad: string; status: 400 | 413 } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { bad: 'the body is not JSON: send one frame (a JSON object) or an array of frames', status: 400 };
  }
  if (Array.isArray(parsed)) {
    if (parsed.length > MAX_FRAMES_PER_POST) return { bad: `at most ${MAX_FRAMES_PER_POST} frames per POST`, status: 413 };
    return parsed.map((frame) => JSON.stringify(frame));
  }
  if (typeof parsed === 'object' && parsed !== null) return [body];
  return { bad: 'the body must be a frame (a JSON object) or an array of frames', status: 400 };
}

/** The session id of `/sse/session/<id>[?…]`, or '' when there is none. */
export function sessionIdOf(url: string, prefix: string): string {
  const rest = url.slice(prefix.length);
  const end = rest.search(/[?#/]/);
  return end < 0 ? rest : rest.slice(0, end);
}
