import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { body, text } from '../http/validation';

const content = text({ max: 4000 });

export class CreateMessageDto extends createZodDto(
  body({ channel_id: text({ max: 128, pattern: /^[A-Za-z0-9_.:@#-]{1,128}$/, what: '1-128 letters, digits or _ - . : @ #' }), content }),
) {}

export class UpdateMessageDto extends createZodDto(body({ content })) {}

const message = z.object({
  id: z.string(),
  channel_id: z.string(),
  user_id: z.string(),
  username: z.string(),
  user_email: z.string().nullable(),
  content: z.string().describe('empty once deleted'),
  created_at: z.string().describe('ISO-8601'),
  updated_at: z.string().nullable(),
});

export class MessageDto extends createZodDto(z.object({ success: z.literal(true), data: message })) {}

export class DeletedMessageDto extends createZodDto(z.object({ success: z.literal(true), data: z.object({ id: z.string(), channel_id: z.string() }) })) {}

export class HistoryDto extends createZodDto(
  z.object({
    success: z.literal(true),
    data: z.array(message).describe('newest first'),
    next_before: z.string().nullable().describe('pass as ?before= for the next (older) page; null on the last page'),
  }),
) {}
