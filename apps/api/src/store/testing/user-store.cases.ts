import { describe, expect, it } from '@jest/globals';
import { DuplicateEmailError } from '../duplicate-email.error';
import { DuplicateUsernameError } from '../duplicate-username.error';
import type { StoreFixture } from './fixture';

/** UserStore part of the store contract. */
export function userStoreCases(fixture: () => StoreFixture): void {
  describe('UserStore', () => {
    const alice = { username: 'Alice', email: 'alice@example.com', passwordHash: 'pw-hash-1', apiKeyHash: 'key-hash-1' };

    it('creates a user with a fresh id, the name as given and no permissions by default', async () => {
      const { users } = fixture();
      const created = await users.create(alice);
      expect(created).toEqual({
        id: expect.any(String),
        username: 'Alice',
        email: 'alice@example.com',
        passwordHash: 'pw-hash-1',
        apiKeyHash: 'key-hash-1',
        permissions: [],
        createdAt: expect.any(Date),
      });
      const other = await users.create({ username: 'bob', passwordHash: 'p', apiKeyHash: 'k2', permissions: ['broadcast', 'admin'] });
      expect(other.id).not.toBe(created.id);
      expect(other.permissions).toEqual(['broadcast', 'admin']);
      expect(other).not.toHaveProperty('email');
    });

    it('lists every user', async () => {
      const { users } = fixture();
      const a = await users.create(alice);
      const b = await users.create({ username: 'bob', passwordHash: 'p', apiKeyHash: 'k2' });
      expect((await users.all()).map((u) => [u.id, u.apiKeyHash]).sort()).toEqual([[a.id, 'key-hash-1'], [b.id, 'k2']].sort());
    });

    it('rejects a taken username with DuplicateUsernameError, whatever its case', async () => {
      const { users } = fixture();
      await users.create(alice);
      for (const username of ['Alice', 'alice', 'ALICE']) {
        const attempt = users.create({ ...alice, username, apiKeyHash: `other-${username}` });
        await expect(attempt).rejects.toBeInstanceOf(DuplicateUsernameError);
        await expect(attempt).rejects.toMatchObject({ code: 'DUPLICATE_USERNAME', username });
      }
      expect(await fixture().db.query('SELECT count(*) AS n FROM users')).toEqual([{ n: 1 }]);
    });

    it('rejects an email another user has with DuplicateEmailError, whatever its case; users without one never clash', async () => {
      const { users } = fixture();
      await users.create(alice);
      for (const email of ['alice@example.com', 'ALICE@Example.com']) {
        const attempt = users.create({ username: `other-${email}`, email, passwordHash: 'p', apiKeyHash: `k-${email}` });
        await expect(attempt).rejects.toBeInstanceOf(DuplicateEmailError);
        await expect(attempt).rejects.toMatchObject({ code: 'DUPLICATE_EMAIL', email });
      }
      await users.create({ username: 'no-email-1', passwordHash: 'p', apiKeyHash: 'n1' });
      await users.create({ username: 'no-email-2', passwordHash: 'p', apiKeyHash: 'n2' });
      expect(await fixture().db.query('SELECT count(*) AS n FROM users')).toEqual([{ n: 3 }]);
    });

    it('lets exactly one of several simultaneous registrations of one name win', async () => {
      const { users } = fixture();
      const names = ['carol', 'Carol', 'CAROL', 'cArOl', 'caroL'];
      const results = await Promise.allSettled(names.map((username, i) => users.create({ username, passwordHash: 'p', apiKeyHash: `k${i}` })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateUsernameError);
    });

    it('finds a user by id, by username in any case and by API key hash', async () => {
      const { users } = fixture();
      const created = await users.create(alice);
      await users.create({ username: 'bob', passwordHash: 'p', apiKeyHash: 'bob-key' });
      expect(await users.findById(created.id)).toEqual(created);
      expect(await users.findByUsername('alice')).toEqual(created);
      expect(await users.findByUsername('ALICE')).toEqual(created);
      expect(await users.findByApiKeyHash('key-hash-1')).toEqual(created);
    });

    it('finds nobody for unknown keys, without throwing on odd ids', async () => {
      const { users } = fixture();
      await users.create(alice);
      expect(await users.findById('no-such-id')).toBeUndefined();
      expect(await users.findById('')).toBeUndefined();
      expect(await users.findByUsername('alicia')).toBeUndefined();
      expect(await users.findByApiKeyHash('nope')).toBeUndefined();
      expect(await users.setApiKeyHash('no-such-id', 'x')).toBeUndefined();
      expect(await users.setPasswordHash('no-such-id', 'x')).toBeUndefined();
    });

    it('revokes the old API key hash the moment a new one is set', async () => {
      const { users } = fixture();
      const created = await users.create(alice);
      const rotated = await users.setApiKeyHash(created.id, 'key-hash-2');
      expect(rotated).toEqual({ ...created, apiKeyHash: 'key-hash-2' });
      expect(await users.findByApiKeyHash('key-hash-1')).toBeUndefined();
      expect(await users.findByApiKeyHash('key-hash-2')).toEqual(rotated);
    });

    it('changes the password hash and nothing else', async () => {
      const { users } = fixture();
      const created = await users.create(alice);
      const changed = await users.setPasswordHash(created.id, 'pw-hash-2');
      expect(changed).toEqual({ ...created, passwordHash: 'pw-hash-2' });
      expect(await users.findByUsername('alice')).toEqual(changed);
    });
  });
}
