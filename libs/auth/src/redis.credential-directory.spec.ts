import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { RedisServer } from '../../testing/redis-server';
import { RedisCredentialDirectory } from './redis.credential-directory';
import { credentialDirectoryContract } from './testing/credential-directory.contract';

const quietLogger: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start();
}, 30_000);

afterAll(async () => {
  await server?.destroy();
});

credentialDirectoryContract('redis', async (n, retentionMs) => {
  const keyPrefix = `sb:cred:test-${randomUUID()}`;
  const nodes = Array.from({ length: n }, () => new RedisCredentialDirectory({ url: server.url, retentionMs, keyPrefix, logger: quietLogger }));
  await Promise.all(nodes.map((d) => d.start()));
  return { nodes, close: async () => void (await Promise.all(nodes.map((d) => d.close()))) };
});
