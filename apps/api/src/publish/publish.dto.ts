import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { anyJson, body, oneOf, optional, text } from '../http/validation';

export const BROADCAST_TYPES = ['notification', 'system_message'] as const;
export const ROOM_TYPES = ['room_message', 'notification', 'system_message'] as const;

const data = anyJson().describe('any JSON value, delivered as the frame\'s `data`');

export class BroadcastDto extends createZodDto(body({ type: optional(oneOf(BROADCAST_TYPES)).describe('default notification'), data })) {}

export class RoomBroadcastDto extends createZodDto(body({ type: optional(oneOf(ROOM_TYPES)).describe('default room_message'), data })) {}

export class UserMessageDto extends createZodDto(
  body({ content: optional(text({ max: 64 * 1024 })), data: z.unknown().optional() }).refine((b) => b.content !== undefined || b.data !== undefined, {
    message: '"content" or "data" is required',
  }),
) {}

export class PublishedDto extends createZodDto(
  z.object({ success: z.literal(true), data: z.object({ replicas: z.number().int().describe('replicas with an interested connection (0: nobody received it)') }) }),
) {}

export class DeliveredDto extends createZodDto(
  z.object({
    success: z.literal(true),
    data: z.object({
      replicas: z.number().int().describe('replicas with a connection of that user (0: nobody received it)'),
      delivered: z.boolean().describe('false: nobody received it (the user is not connected; nothing is stored)'),
      reason: z.string().optional().describe('why nothing was delivered'),
    }),
  }),
) {}
