import { io, type Socket } from 'socket.io-client';

/**
 * One Socket.IO client as the benchmarks use it: websocket transport only, its own connection
 * (no multiplexing), no reconnection, so every socket is one connection the server must hold.
 */
export function benchSocketIo(url: string, query: Record<string, string> | undefined, timeoutMs: number, localAddress?: string): Socket {
  return io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: timeoutMs, query, localAddress } as Parameters<typeof io>[1]);
}
