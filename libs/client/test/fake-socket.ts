import type { WebSocketLike } from '../src/types';
import { setRuntime } from '../src/runtime';

/** Sockets that the test opens and closes by hand. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.drop(1000);
  }
  accept() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  reply(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  /** A handshake the server refused, as Node's `ws` reports it: an error naming the status, then 1006. */
  refuse(status: number) {
    this.onerror?.({ type: 'error', message: `Unexpected server response: ${status}` });
    this.drop(1006);
  }
}

/** Installs a runtime whose sockets are FakeSockets; returns them in the order they were opened. */
export function useFakeSockets(): FakeSocket[] {
  const sockets: FakeSocket[] = [];
  setRuntime({
    createWebSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    createPeerConnection: () => {
      throw new Error('not used');
    },
    channelBytes: (b) => b,
  });
  return sockets;
}

/** An unsigned JWT with `exp` (unix seconds): the client reads it without verifying. */
export function jwtWithExp(exp: number, sub = 'u1'): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp })}.c2ln`;
}

/** The frames a socket sent, parsed. */
export const sentFrames = (s: FakeSocket): Array<Record<string, unknown>> => s.sent.map((t) => JSON.parse(t));
