import fc from 'fast-check';

/** Values of every JSON type and the awkward ones in between: huge, negative, fractional, unicode, nested. */
const nonsense = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '', ' ', '0', '-1', 'null', '__proto__', 'constructor'),
    fc.double(),
    fc.integer(),
    fc.bigInt().map((b) => b.toString()),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.anything({ maxDepth: 3, maxKeys: 4 }),
  );

/** `since` as a client might send it, right or wrong. */
const since = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.record({ offset: fc.nat(), epoch: fc.string({ minLength: 1, maxLength: 10 }) }),
    fc.record({ offset: nonsense(), epoch: nonsense() }, { requiredKeys: [] }),
    nonsense(),
  );

/** A room name, valid or not. */
const room = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.constantFrom('room1', 'lobby', 'a:b@c#d', 'r'), weight: 3 },
    { arbitrary: fc.constantFrom('x'.repeat(129), 'bad name', '../etc'), weight: 1 },
    { arbitrary: nonsense(), weight: 1 },
  );

/** A frame shaped like the dialect's messages, with any field missing, extra or of the wrong type. */
function shaped(types: readonly string[]): fc.Arbitrary<string> {
  return fc
    .record(
      {
        type: fc.oneof({ arbitrary: fc.constantFrom(...types), weight: 4 }, { arbitrary: nonsense(), weight: 1 }),
        room: room(),
        channel_id: room(),
        data: fc.oneof(room(), fc.record({ room: room(), message: nonsense() }, { requiredKeys: [] }), nonsense()),
        content: nonsense(),
        user_id: nonsense(),
        since: since(),
      },
      { requiredKeys: [] },
    )
    .map((frame) => JSON.stringify(frame));
}

/** A frame with a byte deleted, inserted, swapped or cut: mostly invalid JSON. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.nat(), fc.constantFrom('delete', 'insert', 'cut', 'double'), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([text, at, how, extra]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    switch (how) {
      case 'delete':
        return text.slice(0, i) + text.slice(i + 1);
      case 'insert':
        return text.slice(0, i) + extra + text.slice(i);
      case 'cut':
        return text.slice(0, i);
      default:
        return text + text;
    }
  });
}

/** Deeply nested arrays or objects, alone or as a field of a real message. */
const deep = (): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean(), fc.constantFrom(...['join', 'message', 'join_channel'])).map(([depth, arrays, type]) => {
    const nest = arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    return depth % 2 ? nest : `{"type":"${type}","room":"r","channel_id":"r","content":"x","since":${nest},"data":${nest}}`;
  });

/** Text no JSON parser accepts, or accepts as a non-object. */
const raw = (): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 4 }), fc.constantFrom('', ' ', 'null', '[]', '{}', '"join"', '1e999', '{"type":1e999}', '\u0000', '{"type":"join","room":"r","since":{"offset":1e999,"epoch":"e"}}'));

/** Every kind of client frame a fuzzer throws at a dialect whose message types are `types`. */
export function clientFrames(types: readonly string[]): fc.Arbitrary<string> {
  const base = shaped(types);
  return fc.oneof({ arbitrary: base, weight: 4 }, { arbitrary: mutated(base), weight: 3 }, { arbitrary: deep(), weight: 1 }, { arbitrary: raw(), weight: 2 });
}

/** `n` frames for a dialect, the same ones for the same seed. */
export function sampleFrames(types: readonly string[], n: number, seed: number): string[] {
  return fc.sample(clientFrames(types), { numRuns: n, seed });
}

export const ROOMS_TYPES = ['join', 'join_room', 'leave', 'leave_room', 'user_list', 'message', 'room_message', 'broadcast', 'private_message', 'ping'] as const;
export const CHANNELS_TYPES = ['join_channel', 'leave_channel', 'ping'] as const;
