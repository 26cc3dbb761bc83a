import { type ExecutionContext, HttpException, UnauthorizedException } from '@nestjs/common';
import { Authenticator, JwtVerifier, MemoryCredentialDirectory } from '@switchboard/auth';
import { loadConfig } from '@switchboard/config';
import { migrate } from '../store/migrations';
import { PgliteDatabase } from '../store/pglite.database';
import { SqlUserStore } from '../store/sql.user.store';
import { AuthGuard } from './auth.guard';
import { CredentialsService } from './credentials.service';

const SECRET = 'guard-spec-secret-0123456789abcdef';
const context = (headers: Record<string, string>) =>
  ({ switchToHttp: () => ({ getRequest: () => ({ headers, url: '/auth/me', originalUrl: '/auth/me' }) }) }) as unknown as ExecutionContext;

describe('AuthGuard', () => {
  it('answers a bad credential with 401, but lets a database failure through (the filter answers 500)', async () => {
    const db = await PgliteDatabase.open('memory://');
    await migrate(db);
    const config = loadConfig({ JWT_SECRET: SECRET });
    const auth = new Authenticator(new JwtVerifier({ secret: SECRET }), new MemoryCredentialDirectory(60_000), 60_000);
    const guard = new AuthGuard(new CredentialsService(auth, new SqlUserStore(db), config));

    await expect(guard.canActivate(context({ 'x-api-key': 'sb_unknown' }))).rejects.toThrow(UnauthorizedException);
    await expect(guard.canActivate(context({ authorization: 'Bearer not.a.jwt' }))).rejects.toThrow(UnauthorizedException);

    await db.close(); // the database goes away
    const failure = await guard.canActivate(context({ 'x-api-key': 'sb_unknown' })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(HttpException);
  });
});
