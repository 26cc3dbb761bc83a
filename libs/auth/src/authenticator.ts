import { createHash } from 'node:crypto';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { CredentialChange, CredentialDirectory, CredentialListener, KeyOwner } from './credential-directory';
import type { Identity } from './identity';
import { AuthError, type JwtVerifier } from './jwt-verifier';
import { SessionRevocations } from './session-revocations';

/** How long the first load of the directory may hold start-up; after that it goes on in the background. */
const FIRST_LOAD_WAIT_MS = 3000;
const RETRY_MS = 1000;

/** API keys are stored and looked up only as their SHA-256 (they have full entropy, so a fast hash is enough). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Checks credentials the same way in every process: JWTs by signature, `exp` and the
 * in-memory session revocations (no store read per token); API keys by one directory read.
 * Keeps the revocations current from the credential directory: loaded at start, then fed
 * by its changes. The api also writes through it (keys, revocations).
 */
export class Authenticator implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Authenticator');
  private readonly revocations: SessionRevocations;
  private readonly listeners: CredentialListener[] = [];
  private loaded = false;
  private closed = false;
  /** A key could not be published: the directory lacks it, whatever `keysLoaded` says. */
  private keysIncomplete = false;
  /** The directory had every user at some point: from then on "cannot tell" means they were lost. */
  private sawAllUsers = false;
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly jwt: JwtVerifier,
    private readonly directory: CredentialDirectory,
    retentionMs: number,
  ) {
    this.revocations = new SessionRevocations(retentionMs);
    directory.watch((change) => this.receive(change));
  }

  async onModuleInit(): Promise<void> {
    const loading = this.load();
    await Promise.race([loading, new Promise((resolve) => setTimeout(resolve, FIRST_LOAD_WAIT_MS).unref())]);
    this.pruneTimer = setInterval(() => this.revocations.prune(), 60_000);
    this.pruneTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.pruneTimer);
    await this.directory.close();
  }

  /** True once the revocations are loaded and changes are being heard. */
  isReady(): boolean {
    return this.loaded;
  }

  /** Hears every revocation (each once) and every revoked API key. */
  onChange(listener: CredentialListener): void {
    this.listeners.push(listener);
  }

  /** A JWT's identity; throws AuthError when it is invalid, expired, without `exp`, or revoked. */
  verifyJwt(token: string): Identity {
    const identity = this.jwt.verify(token);
    if (this.revocations.isRevoked(identity.userId, identity.issuedAt)) throw new AuthError('session revoked: log in again');
    return identity;
  }

  /** Whether the user's sessions from a JWT issued at `issuedAt` (unix seconds) were revoked since (a password change). */
  isSessionRevoked(userId: string, issuedAt: number | undefined): boolean {
    return this.revocations.isRevoked(userId, issuedAt);
  }

  /** An API key's identity (one directory read); throws AuthError for an unknown or replaced key. */
  async verifyApiKey(key: string): Promise<Identity> {
    const keyHash = hashApiKey(key);
    const owner = await this.directory.findKey(keyHash);
    if (!owner) throw new AuthError('invalid API key');
    const { userId, username, email, permissions } = owner;
    return { userId, username, email, permissions, authenticated: true, via: 'api_key', keyHash };
  }

  /**
   * Whether the api registered a user of this id (one directory read). Rejects when the
   * directory is unreachable, or when it cannot tell because it lost its users after this
   * process saw them all in (the api puts them back within seconds): callers fail closed.
   * A directory no api ever filled (gateways without one) has no registered user.
   */
  async isRegistered(userId: string): Promise<boolean> {
    const known = await this.directory.isRegistered(userId);
    if (known === false) this.sawAllUsers = true;
    if (known !== undefined) return known;
    if (this.sawAllUsers) throw new Error('the credential directory lost its users; the api is putting them back');
    return false;
  }

  /** Makes a key (by hash) valid everywhere; `replaces` stops the previous one everywhere. */
  publishKey(keyHash: string, owner: KeyOwner, replaces?: string): Promise<void> {
    return this.directory.putKey(keyHash, owner, replaces);
  }

  /**
   * Puts every key in with `publishAll` when the directory does not have them all (new, it
   * lost its data, or a key failed to go in: `markKeysIncomplete`); resolves how many were
   * published (0 when it had them).
   */
  async ensureKeys(publishAll: () => Promise<number>): Promise<number> {
    if (!this.keysIncomplete && (await this.directory.keysLoaded())) return 0;
    // Cleared before the snapshot is read: a key that fails from here on sets it again.
    const wasIncomplete = this.keysIncomplete;
    this.keysIncomplete = false;
    try {
      const n = await publishAll();
      await this.directory.markKeysLoaded();
      return n;
    } catch (err) {
      if (wasIncomplete) this.keysIncomplete = true;
      throw err;
    }
  }

  /**
   * A key could not be published (the directory was unreachable): the next `ensureKeys` puts
   * every key in again even though the directory says it has them. Kept here, not in the
   * directory, because the directory is what just failed.
   */
  markKeysIncomplete(): void {
    this.keysIncomplete = true;
  }

  /** Ends every session of `userId` issued until now, on every node; resolves once all nodes can see it. */
  async revokeSessions(userId: string): Promise<void> {
    // From the next whole second: `iat` has second precision, and tokens issued later this second
    // get that second as their `iat` (issueTime), so they are not caught.
    const validFrom = Math.floor(Date.now() / 1000) + 1;
    await this.directory.revokeSessions(userId, validFrom);
    // At once here; the directory's echo of it is then a no-op.
    this.receive({ kind: 'sessions_revoked', userId, validFrom });
  }

  /** The `iat` for a new token of `userId`. */
  issueTime(userId: string): number {
    return this.revocations.issueTime(userId, Math.floor(Date.now() / 1000));
  }

  private receive(change: CredentialChange): void {
    if (change.kind === 'sessions_revoked' && !this.revocations.apply(change.userId, change.validFrom)) return;
    for (const listener of this.listeners) listener(change);
  }

  /** Retries until the directory answers: one warning for the outage, one line when it is back. */
  private async load(): Promise<void> {
    let failing = false;
    while (!this.closed) {
      try {
        await this.directory.start();
        for (const [userId, validFrom] of await this.directory.revocations()) this.revocations.apply(userId, validFrom);
        if (await this.directory.keysLoaded()) this.sawAllUsers = true;
        this.loaded = true;
        if (failing) this.logger.log('credential directory reachable; revocations loaded');
        return;
      } catch (err) {
        // The directory counts its own Redis failures; here only the outage's first warning.
        if (!failing) this.logger.warn({ msg: 'credential directory not reachable; retrying every second', error: (err as Error).message });
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }
}
