import { AuthError, type Authenticator, type Identity } from '@switchboard/auth';
import type { Reply } from '@switchboard/protocol';
import type { Connection } from './connection';
import { TokenExpiryService } from './token-expiry.service';

const now = () => Math.floor(Date.now() / 1000);

function fakeConn(identity: Partial<Identity>) {
  const c = {
    identity: { userId: 'ann', username: 'ann', permissions: [], authenticated: true, via: 'jwt', ...identity } as Identity,
    replies: [] as Reply[],
    closed: undefined as number | undefined,
    reply: (r: Reply) => void c.replies.push(r),
    error: (code: string, message: string) => void c.replies.push({ kind: 'error', code, message } as Reply),
    close: (code: number) => void (c.closed ??= code),
  };
  return c;
}

/** Tokens are their claims as JSON here: the authenticator is not what is tested. */
const auth = {
  verifyJwt(token: string): Identity {
    if (token === 'revoked') throw new AuthError('session revoked: log in again');
    return { permissions: [], authenticated: true, via: 'jwt', ...JSON.parse(token) } as Identity;
  },
} as unknown as Authenticator;

describe('TokenExpiryService', () => {
  const opened = (svc: TokenExpiryService, c: ReturnType<typeof fakeConn>) => svc.opened(c as unknown as Connection);

  it('closes a JWT connection with 4003 once its exp second has begun, and nothing else', () => {
    const svc = new TokenExpiryService(auth);
    const exp = now() + 2;
    const [jwt, key, guest, later] = [fakeConn({ expiresAt: exp }), fakeConn({ via: 'api_key' }), fakeConn({ authenticated: false, via: undefined }), fakeConn({ expiresAt: exp + 60 })];
    for (const c of [jwt, key, guest, later]) opened(svc, c);
    expect(svc.watched).toBe(2);
    svc.sweep(exp * 1000 - 1);
    expect(jwt.closed).toBeUndefined();
    svc.sweep(exp * 1000);
    expect([jwt.closed, key.closed, guest.closed, later.closed]).toEqual([4003, undefined, undefined, undefined]);
    expect(svc.watched).toBe(1);
  });

  it('moves the deadline on a refresh by the same subject, and forgets a closed connection', () => {
    const svc = new TokenExpiryService(auth);
    const exp = now() + 2;
    const c = fakeConn({ expiresAt: exp, rooms: ['a'] });
    opened(svc, c);
    svc.refresh(c as unknown as Connection, JSON.stringify({ userId: 'ann', username: 'other name', rooms: ['a', 'b'], expiresAt: exp + 100, issuedAt: now() }));
    expect(c.replies).toEqual([{ kind: 'refreshed', exp: exp + 100 }]);
    expect(c.identity).toMatchObject({ username: 'ann', rooms: ['a', 'b'], expiresAt: exp + 100 });
    svc.sweep((exp + 99) * 1000);
    expect(c.closed).toBeUndefined();
    svc.closed(c as unknown as Connection);
    expect(svc.watched).toBe(0);
    svc.sweep((exp + 200) * 1000);
    expect(c.closed).toBeUndefined();
  });

  it('closes with 4001 after an error on a refresh for another subject or with a refused token; a connection without a JWT only gets an error', () => {
    const svc = new TokenExpiryService(auth);
    const [other, revoked, key] = [fakeConn({ expiresAt: now() + 60 }), fakeConn({ expiresAt: now() + 60 }), fakeConn({ via: 'api_key' })];
    svc.refresh(other as unknown as Connection, JSON.stringify({ userId: 'bob', expiresAt: now() + 100 }));
    svc.refresh(revoked as unknown as Connection, 'revoked');
    svc.refresh(key as unknown as Connection, JSON.stringify({ userId: 'ann', expiresAt: now() + 100 }));
    expect(other.replies).toEqual([expect.objectContaining({ kind: 'error', code: 'refresh_failed', message: expect.stringContaining('another subject') })]);
    expect(revoked.replies).toEqual([expect.objectContaining({ kind: 'error', code: 'refresh_failed', message: expect.stringContaining('revoked') })]);
    expect([other.closed, revoked.closed, key.closed]).toEqual([4001, 4001, undefined]);
    expect(key.replies).toEqual([expect.objectContaining({ kind: 'error', code: 'refresh_failed' })]);
  });
});
