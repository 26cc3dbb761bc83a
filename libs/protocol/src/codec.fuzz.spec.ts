import { channelsCodec } from './channels.codec';
import type { Codec } from './codec';
import { ErrorCode } from './codes';
import type { Command } from './commands';
import { isRoomName } from './room-name';
import { roomsChatCodec } from './rooms.codec';
import { signalingCodec } from './signaling.codec';
import { CHANNELS_TYPES, ROOMS_TYPES, SIGNALING_TYPES, sampleFrames } from './testing/frame.arbitrary';

const CODES = new Set<string>(Object.values(ErrorCode));
const FRAMES = 12_000;

/** What every command must satisfy, whatever frame it came from. */
function checkCommand(cmd: Command): void {
  if (cmd.kind === 'join' || cmd.kind === 'leave' || cmd.kind === 'say' || cmd.kind === 'list') expect(isRoomName(cmd.room)).toBe(true);
  if (cmd.kind === 'join' && cmd.since !== undefined) {
    expect(Number.isSafeInteger(cmd.since.offset) && cmd.since.offset >= 0).toBe(true);
    expect(typeof cmd.since.epoch === 'string' && cmd.since.epoch.length > 0).toBe(true);
  }
  if (cmd.kind === 'private' || cmd.kind === 'relay') expect(typeof cmd.to === 'string' && cmd.to.length > 0).toBe(true);
}

describe.each<[string, Codec, readonly string[]]>([
  ['rooms', roomsChatCodec, ROOMS_TYPES],
  ['channels', channelsCodec, CHANNELS_TYPES],
  ['signaling', signalingCodec, SIGNALING_TYPES],
])('%s codec under fuzzing', (_, codec, types) => {
  it(`decodes ${FRAMES} generated and mutated frames into a command or an invalid result, never throwing`, () => {
    const kinds = new Map<string, number>();
    for (const frame of sampleFrames(types, FRAMES, 8)) {
      let result: ReturnType<Codec['read']>['command'];
      try {
        result = codec.read(frame).command;
      } catch (err) {
        throw new Error(`decode threw on ${JSON.stringify(frame.slice(0, 300))}: ${(err as Error).message}`);
      }
      kinds.set(result.kind, (kinds.get(result.kind) ?? 0) + 1);
      if (result.kind === 'invalid') {
        expect(CODES.has(result.code)).toBe(true);
        expect(typeof codec.renderReply({ kind: 'error', code: result.code, message: result.message })).toBe('string');
      } else checkCommand(result);
    }
    // The generator reaches both sides: real commands and every way of being invalid.
    expect(kinds.get('invalid')).toBeGreaterThan(FRAMES / 10);
    expect(kinds.get('join')).toBeGreaterThan(100);
  });
});
