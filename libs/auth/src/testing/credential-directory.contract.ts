import { afterEach, describe, expect, it } from '@jest/globals';
import type { CredentialChange, CredentialDirectory } from '../credential-directory';

/** n started views (nodes) of one fresh directory. */
export type DirectoryFactory = (n: number, retentionMs: number) => Promise<{ nodes: CredentialDirectory[]; close(): Promise<void> }>;

const HOUR = 3600_000;
const alice = { userId: 'u-alice', username: 'alice', email: 'alice@example.com', permissions: ['broadcast'] };

/** What every CredentialDirectory guarantees (see credential-directory.ts), run word for word on each implementation. */
export function credentialDirectoryContract(name: string, create: DirectoryFactory): void {
  describe(`CredentialDirectory contract: ${name}`, () => {
    let closeAll: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await closeAll?.();
      closeAll = undefined;
    });

    async function nodes(n: number, retentionMs = HOUR): Promise<CredentialDirectory[]> {
      const made = await create(n, retentionMs);
      closeAll = made.close;
      return made.nodes;
    }

    function recorder(node: CredentialDirectory) {
      const seen: CredentialChange[] = [];
      node.watch((c) => seen.push(c));
      return {
        seen,
        async waitFor(match: (c: CredentialChange) => boolean, ms = 3000): Promise<CredentialChange> {
          const deadline = Date.now() + ms;
          for (;;) {
            const found = seen.find(match);
            if (found) return found;
            if (Date.now() > deadline) throw new Error(`no change matching; saw ${JSON.stringify(seen)}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        },
      };
    }

    it('finds a key written on another node by its hash, and nobody for an unknown hash', async () => {
      const [api, gateway] = await nodes(2);
      await api.putKey('hash-1', alice);
      expect(await gateway.findKey('hash-1')).toEqual(alice);
      expect(await gateway.findKey('hash-unknown')).toBeUndefined();
    });

    it('replaces a key: the old hash finds nobody anywhere, and every node hears it', async () => {
      const [api, gw1, gw2] = await nodes(3);
      const heard = [recorder(api), recorder(gw1), recorder(gw2)];
      await api.putKey('hash-1', alice);
      await api.putKey('hash-2', alice, 'hash-1');
      expect(await gw1.findKey('hash-1')).toBeUndefined();
      expect(await gw2.findKey('hash-2')).toEqual(alice);
      for (const r of heard) {
        expect(await r.waitFor((c) => c.kind === 'key_revoked')).toEqual({ kind: 'key_revoked', userId: 'u-alice', keyHash: 'hash-1' });
      }
    });

    it('knows every user with a key as registered, on every node, and nobody else', async () => {
      const [api, gateway] = await nodes(2);
      // Before the writer put every key in, an unknown id may be a lost user's: nobody can tell.
      expect(await gateway.isRegistered('u-alice')).toBeUndefined();
      await api.markKeysLoaded();
      expect(await gateway.isRegistered('u-alice')).toBe(false);
      await api.putKey('hash-1', alice);
      await api.putKey('hash-2', alice, 'hash-1');
      expect(await gateway.isRegistered('u-alice')).toBe(true);
      expect(await api.isRegistered('u-alice')).toBe(true);
      expect(await gateway.isRegistered('u-bob')).toBe(false);
    });

    it('says whether every key was loaded, on every node', async () => {
      const [a, b] = await nodes(2);
      expect(await b.keysLoaded()).toBe(false);
      await a.markKeysLoaded();
      expect(await b.keysLoaded()).toBe(true);
    });

    it('revokes sessions on every node; validFrom only moves forward', async () => {
      const [api, gw1, gw2] = await nodes(3);
      const heard = [recorder(api), recorder(gw1), recorder(gw2)];
      const now = Math.floor(Date.now() / 1000);
      await api.revokeSessions('u-alice', now + 1);
      await api.revokeSessions('u-alice', now - 10);
      expect(await gw1.revocations()).toEqual(new Map([['u-alice', now + 1]]));
      for (const r of heard) {
        expect(await r.waitFor((c) => c.kind === 'sessions_revoked')).toEqual({ kind: 'sessions_revoked', userId: 'u-alice', validFrom: now + 1 });
      }
      await api.revokeSessions('u-alice', now + 2);
      expect((await gw2.revocations()).get('u-alice')).toBe(now + 2);
      await heard[2].waitFor((c) => c.kind === 'sessions_revoked' && c.validFrom === now + 2);
      expect(heard[2].seen.filter((c) => c.kind === 'sessions_revoked').map((c) => (c as { validFrom: number }).validFrom)).toEqual([now + 1, now + 2]);
    });

    it('leaves out revocations older than the retention', async () => {
      const [api, gateway] = await nodes(2, 60_000);
      const now = Math.floor(Date.now() / 1000);
      await api.revokeSessions('u-old', now - 120);
      await api.revokeSessions('u-new', now - 30);
      expect([...(await gateway.revocations()).keys()]).toEqual(['u-new']);
    });
  });
}
