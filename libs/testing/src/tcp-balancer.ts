import { connect, createServer, type Server, type Socket } from 'node:net';

/** A backend the balancer may send a connection to. */
export interface Backend {
  port: number;
}

/**
 * A stand-in for the load balancer in front of the gateways: each new TCP connection goes
 * to the first backend `backends()` lists that accepts it; an established one stays where
 * it is until either side closes.
 */
export function startTcpBalancer(backends: () => readonly Backend[]): Promise<{ server: Server; url: string; close(): void }> {
  const open = new Set<Socket>();
  const server = createServer((client: Socket) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    const tryBackend = (i: number) => {
      const list = backends();
      if (i >= list.length) return client.destroy();
      const upstream = connect(list[i].port, '127.0.0.1');
      upstream.once('connect', () => {
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      upstream.once('error', () => tryBackend(i + 1));
    };
    tryBackend(0);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
        close: () => {
          for (const s of open) s.destroy();
          server.close();
        },
      }),
    ),
  );
}
