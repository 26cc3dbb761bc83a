import { randomBytes } from 'node:crypto';

const HIGH_BITS = 2 ** 21;
const LOW_BITS = 2 ** 32;

/**
 * An unguessable id: a positive integer below 2^53 (a JSON number, as seed 004's clients
 * parse it) drawn uniformly from the operating system's CSPRNG. Nothing about one id tells
 * anything about another. Uniqueness is not promised here: the caller registers it in
 * presence, which refuses an id that is taken, in the same write.
 */
export function randomId(): string {
  for (;;) {
    const bytes = randomBytes(7);
    const id = (bytes.readUIntBE(0, 3) % HIGH_BITS) * LOW_BITS + bytes.readUInt32BE(3);
    if (id > 0) return String(id);
  }
}
