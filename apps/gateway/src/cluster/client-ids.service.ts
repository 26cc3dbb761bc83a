import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { PRESENCE, type Presence } from '@switchboard/presence';
import { IdAllocator } from './id-allocator';

/**
 * Connection ids: positive integers below 2^53, unique across the cluster and across
 * restarts, issued without a round trip. They are predictable (a node number and a sequence),
 * so nothing a client could abuse is named by them: signaling peers and rooms take
 * unguessable ids instead (`randomId`, registered in presence).
 */
@Injectable()
export class ClientIdsService implements OnModuleInit {
  private readonly logger = new Logger(ClientIdsService.name);
  private readonly ids: IdAllocator;

  constructor(@Inject(PRESENCE) presence: Presence) {
    this.ids = new IdAllocator(
      () => presence.allocateNodeNumber(),
      (err) => this.logger.warn({ msg: 'could not take a node number; retrying on the next connection', error: (err as Error).message }),
    );
  }

  async onModuleInit(): Promise<void> {
    // Not fatal: while presence is down, upgrades are refused (503) and the fetch is retried.
    await this.ids.start();
  }

  /** A fresh id, or undefined while no node number is held. */
  next(): number | undefined {
    return this.ids.next();
  }
}
