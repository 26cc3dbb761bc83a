import { type IncomingMessage, request } from 'node:http';
import { startsWith } from './frame-bytes';

const EVENT_END = Buffer.from('\n\n');
const DATA_FIELD = Buffer.from('\ndata: ');
const DATA_LINE = Buffer.from('data: ');
const SESSION_EVENT = Buffer.from('event: session\n');

/** Where a stream's POSTs go. */
export interface SseSession {
  session_id: string;
  session_token: string;
}

/**
 * Reads a gateway's SSE stream for a load client, without parsing JSON on the hot path: each
 * unnamed event's data (a frame, one line) is handed over as bytes; the `session` event is
 * parsed once; named events (ping) and comments are skipped.
 */
export function readSseStream(res: IncomingMessage, onSession: (s: SseSession) => void, onFrame: (data: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  res.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let from = 0;
    for (let end = pending.indexOf(EVENT_END, from); end >= 0; end = pending.indexOf(EVENT_END, from)) {
      // An event: optional `id:` / `event:` / `retry:` lines, then one `data:` line.
      const block = pending.subarray(from, end);
      from = end + EVENT_END.length;
      const at = dataAt(block);
      if (at < 0) continue;
      const fields = block.subarray(0, at);
      const data = block.subarray(at + DATA_LINE.length);
      if (fields.includes(SESSION_EVENT)) onSession(JSON.parse(data.toString()) as SseSession);
      else if (!fields.includes('event:')) onFrame(data);
    }
    pending = from === pending.length ? Buffer.alloc(0) : pending.subarray(from);
  });
}

/** Where the `data: ` line of one event starts (it comes last: the server writes one per frame), or -1 for an event without data. */
function dataAt(block: Buffer): number {
  if (startsWith(block, DATA_LINE)) return 0;
  const at = block.indexOf(DATA_FIELD);
  return at < 0 ? -1 : at + 1;
}

/** POSTs one frame to a session; `done` gets the status (0 on a network error). */
export function postFrame(origin: string, session: SseSession, frame: unknown, done: (status: number) => void): void {
  const body = JSON.stringify(frame);
  const post = request(`${origin}/sse/session/${session.session_id}`, { method: 'POST', headers: { 'X-Session-Token': session.session_token, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
    done(res.statusCode ?? 0);
    res.resume();
  });
  post.on('error', () => done(0));
  post.end(body);
}
