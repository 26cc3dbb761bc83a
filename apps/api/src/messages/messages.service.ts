import { ConflictException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Identity } from '@switchboard/auth';
import { roomAllowed } from '@switchboard/protocol';
import { MESSAGE_STORE, type MessageRecord, type MessageStore } from '../store/message.store';
import { OutboxPublisher } from './outbox-publisher.service';
import { lifecycleEvent } from './message-events';

/**
 * Stored chat messages. Each change commits with its lifecycle event in the outbox; the
 * event is published only after the commit, and retried until the bus takes it.
 */
@Injectable()
export class MessagesService {
  constructor(
    @Inject(MESSAGE_STORE) private readonly messages: MessageStore,
    private readonly outbox: OutboxPublisher,
  ) {}

  /**
   * Stores a message and its `new_message`. With `idempotencyKey`, a repeat by the same user
   * stores nothing and resolves the first message; one naming another channel is a conflict.
   */
  async create(who: Identity, channelId: string, content: string, idempotencyKey?: string): Promise<MessageRecord> {
    this.mayUse(who, channelId);
    const { record, repeat } = await this.messages.createOnce(
      { channelId, content, userId: who.userId, username: who.username, userEmail: who.email, idempotencyKey },
      (m) => lifecycleEvent('new_message', m),
    );
    if (repeat && record.channelId !== channelId) throw new ConflictException('this Idempotency-Key was used for a message to another channel');
    if (!repeat) this.outbox.kick();
    return record;
  }

  async update(who: Identity, id: string, content: string): Promise<MessageRecord> {
    const record = await this.messages.update(id, content, (m) => {
      authorOnly(who, m);
      return lifecycleEvent('message_updated', m);
    });
    if (!record) throw new NotFoundException(`no message "${id}"`);
    this.outbox.kick();
    return record;
  }

  async delete(who: Identity, id: string): Promise<MessageRecord> {
    const record = await this.messages.delete(id, (m) => {
      authorOnly(who, m);
      return lifecycleEvent('message_deleted', m);
    });
    if (!record) throw new NotFoundException(`no message "${id}"`);
    this.outbox.kick();
    return record;
  }

  history(who: Identity, channelId: string, limit?: number, before?: string): Promise<MessageRecord[]> {
    this.mayUse(who, channelId);
    return this.messages.history(channelId, { limit, before });
  }

  private mayUse(who: Identity, channelId: string): void {
    if (!roomAllowed(who.rooms, channelId)) throw new ForbiddenException(`not allowed in channel "${channelId}"`);
  }
}

function authorOnly(who: Identity, m: MessageRecord): void {
  if (m.userId !== who.userId) throw new ForbiddenException('only the author may change this message');
}
