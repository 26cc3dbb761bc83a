import { BadRequestException } from '@nestjs/common';
import { LoginDto, NewPasswordDto, RegisterDto } from '../auth/auth.dto';
import { CreateMessageDto, UpdateMessageDto } from '../messages/messages.dto';
import { BroadcastDto, RoomBroadcastDto, UserMessageDto } from '../publish/publish.dto';
import { ApiValidationPipe } from './validation';

const pipe = new ApiValidationPipe();
const check = (dto: unknown, value: unknown) => pipe.transform(value, { type: 'body', metatype: dto as never });

/** The 400's message, as the client reads it. */
function refusal(dto: unknown, value: unknown): string {
  try {
    check(dto, value);
  } catch (err) {
    if (err instanceof BadRequestException) return (err.getResponse() as { message: string }).message;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

// The answers the hand-written validator gave before the schemas (commit 7273f13, http/body.ts):
// a required field that is missing, null or "" "is required"; an optional one that is null or "" is absent.
describe('request bodies answer as they did before the schemas', () => {
  it.each([
    [RegisterDto, { username: '', password: 'secret123' }, '"username" is required'],
    [RegisterDto, { username: null, password: 'secret123' }, '"username" is required'],
    [RegisterDto, { username: 'bob', password: '' }, '"password" is required'],
    [RegisterDto, { username: 'bob', password: null }, '"password" is required'],
    [LoginDto, { username: '', password: 'secret123' }, '"username" is required'],
    [LoginDto, { username: 'bob', password: null }, '"password" is required'],
    [NewPasswordDto, { old_password: '', new_password: 'newpass123' }, '"old_password" is required'],
    [CreateMessageDto, { channel_id: 'general', content: '' }, '"content" is required'],
    [CreateMessageDto, { channel_id: null, content: 'x' }, '"channel_id" is required'],
    [UpdateMessageDto, { content: '' }, '"content" is required'],
    [UserMessageDto, { content: '' }, '"content" or "data" is required'],
    [UserMessageDto, { content: null }, '"content" or "data" is required'],
    [BroadcastDto, {}, '"data" is required'],
    [BroadcastDto, { type: 'bogus', data: 1 }, '"type" must be one of notification, system_message'],
  ])('%p refuses %j: %s', (dto, value, message) => {
    expect(refusal(dto, value)).toBe(message);
  });

  it.each([
    [RegisterDto, { username: 'bob', password: 'secret123', email: '' }, { username: 'bob', password: 'secret123' }],
    [RegisterDto, { username: 'bob', password: 'secret123', email: null }, { username: 'bob', password: 'secret123' }],
    [UserMessageDto, { content: '', data: { a: 1 } }, { data: { a: 1 } }],
    [UserMessageDto, { content: 'hi', data: null }, { content: 'hi', data: null }],
    [BroadcastDto, { type: '', data: null }, { data: null }],
    [RoomBroadcastDto, { type: null, data: 'x' }, { data: 'x' }],
  ])('%p accepts %j as %j', (dto, value, parsed) => {
    expect(check(dto, value)).toEqual(parsed);
  });
});
