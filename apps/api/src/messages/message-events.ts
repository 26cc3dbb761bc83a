import { type HubEvent, Topics } from '@switchboard/protocol';
import type { OutboxEvent } from '../store/outbox.store';
import type { MessageRecord } from '../store/message.store';

/** A stored message as the REST API and seed 003's events show it. */
export function messageJson(m: MessageRecord) {
  return {
    id: m.id,
    channel_id: m.channelId,
    user_id: m.userId,
    username: m.username,
    user_email: m.userEmail ?? null,
    content: m.content,
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt?.toISOString() ?? null,
  };
}

/** The lifecycle event of a change, addressed to the channel's room topic. */
export function lifecycleEvent(kind: 'new_message' | 'message_updated' | 'message_deleted', m: MessageRecord): OutboxEvent {
  const data =
    kind === 'message_deleted' ? { id: m.id, channel_id: m.channelId, user_id: m.userId, user_email: m.userEmail ?? null } : messageJson(m);
  const event: HubEvent = { kind, room: m.channelId, data, ts: Date.now() };
  return { topic: Topics.room(m.channelId), payload: event };
}
