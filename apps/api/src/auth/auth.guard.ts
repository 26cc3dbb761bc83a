import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { AuthError } from '@switchboard/auth';
import { CredentialsService, type Principal } from './credentials.service';

type WithPrincipal = Request & { principal?: Principal };

/**
 * Lets a request through only with a valid JWT or API key; 401 with the reason otherwise.
 * Any other failure (the database down) is not the caller's fault: it goes on to the
 * exception filter, which answers 5xx.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly credentials: CredentialsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<WithPrincipal>();
    const query = new URL(req.originalUrl ?? req.url, 'http://localhost').searchParams;
    let principal: Principal | undefined;
    try {
      principal = await this.credentials.authenticate(req, query);
    } catch (err) {
      if (err instanceof AuthError) throw new UnauthorizedException(err.message);
      throw err;
    }
    if (!principal) throw new UnauthorizedException('authentication required: send a JWT (Authorization: Bearer) or an API key (X-API-Key)');
    req.principal = principal;
    return true;
  }
}

/** The authenticated principal of a request that passed AuthGuard. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<WithPrincipal>().principal!;
});
