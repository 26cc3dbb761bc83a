import { Authenticator, JwtVerifier, type KeyOwner, MemoryCredentialDirectory } from '@switchboard/auth';
import { loadConfig } from '@switchboard/config';
import { Metrics } from '@switchboard/observability';
import type { Database } from '../store/database';
import { migrate } from '../store/migrations';
import { PgliteDatabase } from '../store/pglite.database';
import { SqlUserStore } from '../store/sql.user.store';
import { hashApiKey } from './api-keys';
import { CredentialsService } from './credentials.service';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';
import { UsersService } from './users.service';
import { sleep } from '@switchboard/testing';

const SECRET = 'users-spec-secret-0123456789abcdef';
const HOUR = 3600_000;

/** The in-memory directory, with a hook before each write (to interleave, or to fail as an unreachable Redis would). */
class HookedDirectory extends MemoryCredentialDirectory {
  beforePut?: (keyHash: string, replaces: string | undefined) => Promise<void> | void;
  beforeRevoke?: () => void;

  override async putKey(keyHash: string, owner: KeyOwner, replaces?: string): Promise<void> {
    await this.beforePut?.(keyHash, replaces);
    return super.putKey(keyHash, owner, replaces);
  }

  override async revokeSessions(userId: string, validFrom: number): Promise<void> {
    this.beforeRevoke?.();
    return super.revokeSessions(userId, validFrom);
  }
}

/** The SQL user store, with a hook between a rotation's directory write and its database write. */
class HookedUserStore extends SqlUserStore {
  beforeSetKey?: () => Promise<void>;

  override async setApiKeyHash(id: string, apiKeyHash: string) {
    await this.beforeSetKey?.();
    return super.setApiKeyHash(id, apiKeyHash);
  }
}
const down = () => {
  throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
};

describe('UsersService and the credential directory', () => {
  let db: Database;
  let directory: HookedDirectory;
  let auth: Authenticator;
  let store: HookedUserStore;
  let metrics: Metrics;
  let users: UsersService;

  beforeEach(async () => {
    db = await PgliteDatabase.open('memory://');
    await migrate(db);
    const config = loadConfig({ JWT_SECRET: SECRET });
    directory = new HookedDirectory(HOUR);
    auth = new Authenticator(new JwtVerifier({ secret: SECRET }), directory, HOUR);
    await auth.onModuleInit();
    store = new HookedUserStore(db);
    metrics = new Metrics(false);
    users = new UsersService(store, new PasswordHasher(), new TokenService(config, auth), new CredentialsService(auth, store, config), auth, metrics);
    await auth.ensureKeys(() => users.publishAllKeys());
  });
  afterEach(async () => {
    await auth.onApplicationShutdown();
    await db.close();
  });

  const works = (key: string) => auth.verifyApiKey(key).then(
    () => true,
    () => false,
  );
  const errorsCounted = async (kind: string) => (await metrics.errors.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;

  it('registers a user whose key cannot reach the directory: the key is returned, and the next key check puts it in', async () => {
    directory.beforePut = down;
    const reg = await users.register('ann', 'secret123');
    expect(reg.api_key).toMatch(/^sb_/);
    expect(await errorsCounted('credential_key_publish')).toBe(1);
    expect((await store.findByApiKeyHash(hashApiKey(reg.api_key)))?.username).toBe('ann');
    expect(await works(reg.api_key)).toBe(false);

    // Still down at the next check: it fails, and the keys are still owed.
    await expect(auth.ensureKeys(() => users.publishAllKeys())).rejects.toThrow('ECONNREFUSED');
    directory.beforePut = undefined;
    expect(await auth.ensureKeys(() => users.publishAllKeys())).toBe(1);
    expect(await works(reg.api_key)).toBe(true);
  });

  it('leaves the password as it was when the sessions cannot be revoked', async () => {
    const { user_id } = await users.register('bob', 'secret123');
    directory.beforeRevoke = down;
    await expect(users.changePassword(user_id, 'secret123', 'another-pass-42')).rejects.toThrow('ECONNREFUSED');
    await expect(users.login('bob', 'secret123')).resolves.toMatchObject({ token_type: 'Bearer' });
    await expect(users.login('bob', 'another-pass-42')).rejects.toThrow('wrong username or password');
  });

  it('keeps a key regenerated during a bulk publish: only the new one works after it', async () => {
    const { user_id, api_key: old } = await users.register('carol', 'secret123');
    let fresh: string | undefined;
    directory.beforePut = async (keyHash, replaces) => {
      if (keyHash !== hashApiKey(old) || replaces !== undefined || fresh !== undefined) return;
      // The bulk publish read its snapshot and is about to put carol's old key back.
      fresh = (await users.regenerate(user_id)).api_key;
      expect(await works(old)).toBe(false);
    };
    await users.publishAllKeys();
    expect(fresh).toBeDefined();
    expect(await works(old)).toBe(false);
    expect(await works(fresh!)).toBe(true);
  });

  it('keeps a key regenerated during a bulk publish whose database write is still under way when the bulk publish ends', async () => {
    const { user_id, api_key: old } = await users.register('dave', 'secret123');
    let rotation: Promise<{ api_key: string }> | undefined;
    directory.beforePut = async (keyHash, replaces) => {
      if (keyHash !== hashApiKey(old) || replaces !== undefined || rotation !== undefined) return;
      let reachedStore!: () => void;
      const atStore = new Promise<void>((r) => (reachedStore = r));
      store.beforeSetKey = async () => {
        reachedStore();
        await sleep(100); // the database write is slow; the bulk publish goes on meanwhile
      };
      rotation = users.regenerate(user_id);
      await atStore; // the new key is in the directory, the old one is about to be put back
    };
    await users.publishAllKeys();
    const fresh = (await rotation!).api_key;
    expect(await works(old)).toBe(false);
    expect(await works(fresh)).toBe(true);
  });
});
