import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Authenticator, type CredentialChange } from '@switchboard/auth';
import { CloseCode } from '@switchboard/protocol';
import type { Connection } from './connection';
import { CONNECTIONS, type ConnectionRegistry } from './connection-registry';

/**
 * Ends open connections whose credential stopped counting: JWT sessions of a user revoked
 * (password changed) and connections made with a replaced API key are closed with 4001
 * "session revoked". Revocations are rare, so it walks the replica's connections then.
 */
@Injectable()
export class SessionCloserService implements OnModuleInit {
  private readonly logger = new Logger(SessionCloserService.name);

  constructor(
    private readonly auth: Authenticator,
    @Inject(CONNECTIONS) private readonly connections: ConnectionRegistry,
  ) {}

  onModuleInit(): void {
    this.auth.onChange((change) => this.closeRevoked(change));
  }

  /** Closes this replica's connections that `change` revokes; returns how many. */
  closeRevoked(change: CredentialChange): number {
    const revoked: Connection[] = [];
    for (const conn of this.connections.all()) if (revokes(change, conn)) revoked.push(conn);
    for (const conn of revoked) conn.close(CloseCode.SessionRevoked, 'session revoked', 'revoked');
    if (revoked.length > 0) this.logger.log({ msg: 'revoked connections closed', user: change.userId, reason: change.kind, connections: revoked.length });
    return revoked.length;
  }
}

function revokes(change: CredentialChange, conn: Connection): boolean {
  const { identity } = conn;
  if (!identity.authenticated || identity.userId !== change.userId) return false;
  if (change.kind === 'key_revoked') return identity.keyHash === change.keyHash;
  return identity.via === 'jwt' && (identity.issuedAt === undefined || identity.issuedAt < change.validFrom);
}
