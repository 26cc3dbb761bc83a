import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { quietLogger, RedisServer, type RedisTestCluster, startRedisCluster } from '@switchboard/testing';
import type { CredentialChange } from './credential-directory';
import { RedisCredentialDirectory } from './redis.credential-directory';
import { credentialDirectoryContract } from './testing/credential-directory.contract';

const logger = quietLogger();

let server: RedisServer;
let cluster: RedisTestCluster;

beforeAll(async () => {
  [server, cluster] = await Promise.all([RedisServer.start(), startRedisCluster(3)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([server?.destroy(), cluster?.destroy()]);
});

async function views(n: number, retentionMs: number, connection: { url?: string; clusterNodes?: readonly string[] }) {
  const keyPrefix = `sb:cred:test-${randomUUID()}`;
  const nodes = Array.from({ length: n }, () => new RedisCredentialDirectory({ ...connection, retentionMs, keyPrefix, logger }));
  await Promise.all(nodes.map((d) => d.start()));
  return { nodes, keyPrefix, close: async () => void (await Promise.all(nodes.map((d) => d.close()))) };
}

credentialDirectoryContract('redis', (n, retentionMs) => views(n, retentionMs, { url: server.url }));

credentialDirectoryContract('redis-cluster', (n, retentionMs) => views(n, retentionMs, { clusterNodes: cluster.nodes }));

describe('RedisCredentialDirectory', () => {
  it('drops and counts malformed changes on its channel, and keeps hearing good ones', async () => {
    const keyPrefix = `sb:cred:test-${randomUUID()}`;
    let dropped = 0;
    const node = new RedisCredentialDirectory({ url: server.url, retentionMs: 60_000, keyPrefix, logger, onDropped: () => dropped++ });
    await node.start();
    const seen: unknown[] = [];
    node.watch((c) => seen.push(c));
    const raw = new Redis(server.url);
    try {
      await raw.publish(`{${keyPrefix}}:changes`, 'not json');
      await raw.publish(`{${keyPrefix}}:changes`, JSON.stringify({ kind: 'sessions_revoked', userId: 'u1' }));
      await node.revokeSessions('u1', 100 + Math.floor(Date.now() / 1000));
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(dropped).toBe(2);
      expect(seen).toEqual([expect.objectContaining({ kind: 'sessions_revoked', userId: 'u1' })]);
    } finally {
      raw.disconnect();
      await node.close();
    }
  });

  /** A writer and a reader of one fresh directory, what the reader hears, and a raw connection. */
  async function writerAndReader(retentionMs: number) {
    const { nodes, keyPrefix, close } = await views(2, retentionMs, { url: server.url });
    const seen: CredentialChange[] = [];
    nodes[1].watch((c) => seen.push(c));
    const raw = new Redis(server.url);
    const heard = async (n: number) => {
      for (let i = 0; i < 300 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    const closeAll = async () => {
      raw.disconnect();
      await close();
    };
    return { writer: nodes[0], seen, heard, raw, keyPrefix, close: closeAll };
  }

  it('hands its listeners every current revocation again after a lost connection', async () => {
    const { writer, seen, heard, raw, close } = await writerAndReader(60_000);
    const owner = { userId: 'u-missed', username: 'missed', permissions: [] };
    try {
      await writer.revokeSessions('u-missed', 100 + Math.floor(Date.now() / 1000));
      await writer.putKey('hash-old', owner);
      await writer.putKey('hash-new', owner, 'hash-old');
      await heard(2);
      seen.length = 0;
      // Drop every pub/sub client connection: the reader reconnects and replays from the store.
      await raw.client('KILL', 'TYPE', 'pubsub');
      await heard(2);
      expect(seen).toEqual([
        expect.objectContaining({ kind: 'sessions_revoked', userId: 'u-missed' }),
        { kind: 'key_revoked', userId: 'u-missed', keyHash: 'hash-old' },
      ]);
    } finally {
      await close();
    }
  });

  it('leaves replaced keys older than the retention out of the replay', async () => {
    // hash-1's revocation is older than the retention when the replay runs; hash-2's is not
    // (the replay comes well within 1.5 s of it even on a busy machine).
    const { writer, seen, heard, raw, keyPrefix, close } = await writerAndReader(1500);
    const owner = { userId: 'u-old', username: 'old', permissions: [] };
    try {
      await writer.putKey('hash-1', owner);
      await writer.putKey('hash-2', owner, 'hash-1');
      await new Promise((r) => setTimeout(r, 3000));
      await writer.putKey('hash-3', owner, 'hash-2');
      await heard(2);
      seen.length = 0;
      await raw.client('KILL', 'TYPE', 'pubsub');
      await heard(1);
      expect(seen).toEqual([{ kind: 'key_revoked', userId: 'u-old', keyHash: 'hash-2' }]);
      // The outdated entry is gone from Redis too, not only from the replay.
      expect(await raw.zcard(`{${keyPrefix}}:revoked-keys`)).toBe(1);
    } finally {
      await close();
    }
  });

  it('forgets that its keys were loaded when Redis loses its data', async () => {
    const { nodes, keyPrefix, close } = await views(1, 60_000, { url: server.url });
    const raw = new Redis(server.url);
    try {
      await nodes[0].putKey('h1', { userId: 'u1', username: 'u1', permissions: [] });
      await nodes[0].markKeysLoaded();
      expect(await nodes[0].keysLoaded()).toBe(true);
      for (const key of await raw.keys(`{${keyPrefix}}:*`)) await raw.del(key); // as a restart without persistence would
      expect(await nodes[0].keysLoaded()).toBe(false);
      expect(await nodes[0].findKey('h1')).toBeUndefined();
    } finally {
      raw.disconnect();
      await close();
    }
  });
});
