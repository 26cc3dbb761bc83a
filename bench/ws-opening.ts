import type WebSocket from 'ws';

/**
 * Settles a client's opening with why it failed — an HTTP refusal, a socket error, a close
 * before it was ready — and reports closes (after ready too) to `onClose`.
 */
export function failOpeningOn(ws: WebSocket, settle: (why: string) => void, onClose: (code: number) => void): void {
  ws.once('unexpected-response', (_req, res) => {
    settle(`HTTP ${res.statusCode}`);
    ws.terminate();
  });
  ws.on('error', (err) => settle(err.message));
  ws.once('close', (code) => {
    settle(`closed ${code} before ready`);
    onClose(code);
  });
}
