import { type CallHandler, type ExecutionContext, HttpException, HttpStatus, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { catchError, finalize, from, mergeMap, type Observable, throwError } from 'rxjs';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { throwThrottled, usernameOf } from './auth-throttling';
import { Turns } from './turns';

const FAILURES = 'login-failures';
const LOCK = 'login-lock';

/**
 * The per-username limit of `/auth/login`, counting failed attempts only (wrong password,
 * unknown user): a user who logs in often is never refused by it, while a password guesser
 * is stopped after AUTH_RATE_LIMIT_PER_USERNAME failures within AUTH_RATE_WINDOW. The failure
 * that reaches the limit locks the username for a window; every attempt meanwhile, with the
 * right password or not, gets 429 and is not checked. Both counters live in the throttler's
 * storage (Redis with BUS=redis, shared by every api replica), through its one operation,
 * `increment`: the lock is a key blocked at its first hit (limit 0), read by hits that can
 * never block it (an unreachable limit).
 *
 * Attempts for one username take turns in each process: the lock is read, the password
 * checked and a failure counted before the next attempt reads the lock, so a burst of
 * guesses sent at once gets no more checks than guesses sent one by one (with R api
 * replicas, at most R − 1 more). At most AUTH_RATE_LIMIT_PER_USERNAME attempts per username
 * wait in a process; one more gets 429 at once (a legitimate user rarely logs in in parallel).
 */
@Injectable()
export class LoginFailureLimit implements NestInterceptor {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly turns = new Turns();

  constructor(
    @Inject(CONFIG) config: SwitchboardConfig,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {
    ({ perUsername: this.limit, windowMs: this.windowMs } = config.api.authRateLimit);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const username = usernameOf(context.switchToHttp().getRequest());
    // No username: the body fails validation next, and nothing is checked.
    if (username === undefined) return next.handle();
    const key = createHash('sha256').update(username).digest('hex');
    const turn = this.turns.take(key, this.limit);
    if (turn === undefined) throwThrottled(context, 1);
    const leave = await turn;
    try {
      const lock = await this.storage.increment(`${LOCK}:${key}`, this.windowMs, Number.MAX_SAFE_INTEGER, this.windowMs, LOCK);
      if (lock.isBlocked) throwThrottled(context, lock.timeToBlockExpire);
    } catch (err) {
      leave();
      throw err;
    }
    return next.handle().pipe(
      catchError((err: unknown) => {
        if (!(err instanceof HttpException && err.getStatus() === HttpStatus.UNAUTHORIZED)) return throwError(() => err);
        return from(this.failed(key)).pipe(mergeMap(() => throwError(() => err)));
      }),
      // After the failure was counted: the next attempt's lock read sees it.
      finalize(leave),
    );
  }

  private async failed(key: string): Promise<void> {
    const { totalHits } = await this.storage.increment(`${FAILURES}:${key}`, this.windowMs, Number.MAX_SAFE_INTEGER, this.windowMs, FAILURES);
    if (totalHits >= this.limit) await this.storage.increment(`${LOCK}:${key}`, this.windowMs, 0, this.windowMs, LOCK);
  }
}
