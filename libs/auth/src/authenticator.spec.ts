import { createHmac } from 'node:crypto';
import { Authenticator, hashApiKey } from './authenticator';
import type { CredentialChange } from './credential-directory';
import { JwtVerifier } from './jwt-verifier';
import { MemoryCredentialDirectory, MemoryCredentialStore } from './memory.credential-directory';

const SECRET = 'authenticator-secret-0123456789';

function sign(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'HS256', typ: 'JWT' });
  const body = enc(claims);
  return `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`;
}

describe('Authenticator', () => {
  const now = () => Math.floor(Date.now() / 1000);
  let store: MemoryCredentialStore;
  let api: Authenticator;
  let gateway: Authenticator;

  beforeEach(async () => {
    store = new MemoryCredentialStore();
    const make = () => new Authenticator(new JwtVerifier({ secret: SECRET }), new MemoryCredentialDirectory(3600_000, store), 3600_000);
    [api, gateway] = [make(), make()];
    await Promise.all([api.onModuleInit(), gateway.onModuleInit()]);
  });
  afterEach(async () => {
    await Promise.all([api.onApplicationShutdown(), gateway.onApplicationShutdown()]);
  });

  it('refuses a JWT without exp, and accepts one with it', () => {
    expect(() => gateway.verifyJwt(sign({ sub: 'u1', iat: now() }))).toThrow('token has no expiry (exp)');
    expect(gateway.verifyJwt(sign({ sub: 'u1', iat: now(), exp: now() + 60 }))).toMatchObject({ userId: 'u1', via: 'jwt' });
  });

  it('ends the sessions issued before a revocation on another node, not those issued after it', async () => {
    const before = sign({ sub: 'u1', iat: now(), exp: now() + 60 });
    const other = sign({ sub: 'u2', iat: now(), exp: now() + 60 });
    const heard: CredentialChange[] = [];
    gateway.onChange((c) => heard.push(c));
    await api.revokeSessions('u1');
    await new Promise((r) => setImmediate(r));
    expect(() => gateway.verifyJwt(before)).toThrow('session revoked');
    expect(() => api.verifyJwt(before)).toThrow('session revoked');
    expect(gateway.verifyJwt(other).userId).toBe('u2');
    const iat = api.issueTime('u1');
    expect(iat).toBeGreaterThan(now() - 1);
    expect(gateway.verifyJwt(sign({ sub: 'u1', iat, exp: iat + 60 })).userId).toBe('u1');
    expect(heard).toEqual([{ kind: 'sessions_revoked', userId: 'u1', validFrom: iat }]);
  });

  it('knows a revocation made before it started', async () => {
    const token = sign({ sub: 'u1', iat: now(), exp: now() + 60 });
    await api.revokeSessions('u1');
    const late = new Authenticator(new JwtVerifier({ secret: SECRET }), new MemoryCredentialDirectory(3600_000, store), 3600_000);
    await late.onModuleInit();
    expect(() => late.verifyJwt(token)).toThrow('session revoked');
    await late.onApplicationShutdown();
  });

  it('accepts a published API key until it is replaced', async () => {
    const owner = { userId: 'u1', username: 'ann', permissions: [] };
    await api.publishKey(hashApiKey('key-1'), owner);
    expect(await gateway.verifyApiKey('key-1')).toMatchObject({ userId: 'u1', username: 'ann', authenticated: true, via: 'api_key', keyHash: hashApiKey('key-1') });
    await api.publishKey(hashApiKey('key-2'), owner, hashApiKey('key-1'));
    await expect(gateway.verifyApiKey('key-1')).rejects.toThrow('invalid API key');
    await expect(gateway.verifyApiKey('nonsense')).rejects.toThrow('invalid API key');
  });

  it('puts every key in again after markKeysIncomplete, though the directory says it has them; once done, not again', async () => {
    let runs = 0;
    const publishAll = async () => {
      runs++;
      return 3;
    };
    expect(await api.ensureKeys(publishAll)).toBe(3); // a new directory
    expect(await api.ensureKeys(publishAll)).toBe(0);
    api.markKeysIncomplete();
    expect(await api.ensureKeys(publishAll)).toBe(3);
    expect(await api.ensureKeys(publishAll)).toBe(0);
    expect(runs).toBe(2);
  });

  it('still owes the keys after a failed attempt to put them in again', async () => {
    await api.ensureKeys(async () => 1);
    api.markKeysIncomplete();
    await expect(api.ensureKeys(() => Promise.reject(new Error('redis down')))).rejects.toThrow('redis down');
    expect(await api.ensureKeys(async () => 1)).toBe(1);
    expect(await api.ensureKeys(async () => 1)).toBe(0);
  });
});
