import type { Refusal } from './handshake.service';

const STATUS_TEXT: Record<Refusal['status'], string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** A refused handshake as an HTTP answer, the same for an upgrade and an SSE stream: a JSON body `{error, status}`. */
export function refusalAnswer(refusal: Refusal): { status: Refusal['status']; statusText: string; headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ error: refusal.reason, status: refusal.status });
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(body)) };
  if (refusal.status === 401) headers['WWW-Authenticate'] = 'Bearer';
  else if (refusal.status === 429 || refusal.status === 503) headers['Retry-After'] = '1';
  return { status: refusal.status, statusText: STATUS_TEXT[refusal.status], headers, body };
}
