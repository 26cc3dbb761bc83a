import { invalid } from './codec';
import type { DecodeError } from './commands';
import { ErrorCode } from './codes';
import type { StreamPosition } from './events';

/** Epochs the bus makes are short; anything longer is not one. */
const MAX_EPOCH_LENGTH = 64;
const OFFSET_TEXT = /^\d{1,15}$/;

/**
 * Reads a join frame's `since: {offset, epoch}`: undefined when absent, an error when it
 * is not a whole offset ≥ 0 and a non-empty epoch string.
 */
export function decodeSince(type: string, since: unknown): StreamPosition | undefined | DecodeError {
  if (since === undefined || since === null) return undefined;
  if (typeof since !== 'object' || Array.isArray(since)) return badSince(type);
  const { offset, epoch } = since as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return badSince(type);
  if (!isEpoch(epoch)) return badSince(type);
  return { offset, epoch };
}

/** Reads `?since=&epoch=` of a path that joins: undefined when neither is given, else both must be valid. */
export function sinceFromQuery(query: URLSearchParams): StreamPosition | undefined | { bad: string } {
  const offset = query.get('since');
  const epoch = query.get('epoch');
  if (offset === null && epoch === null) return undefined;
  if (offset === null || !OFFSET_TEXT.test(offset) || !isEpoch(epoch)) {
    return { bad: 'invalid since: give ?since=<offset> (a whole number) with ?epoch=<epoch> from the last message' };
  }
  return { offset: Number(offset), epoch };
}

function isEpoch(epoch: unknown): epoch is string {
  return typeof epoch === 'string' && epoch.length > 0 && epoch.length <= MAX_EPOCH_LENGTH;
}

function badSince(type: string): DecodeError {
  return invalid(ErrorCode.BadField, `"${type}" has an invalid "since": expected {"offset": a whole number ≥ 0, "epoch": a string}`);
}

/** Decodes `since` and hands it to `make`, or returns why it is invalid. */
export function withSince<T>(type: string, value: unknown, make: (since: StreamPosition | undefined) => T | DecodeError): T | DecodeError {
  const since = decodeSince(type, value);
  if (since !== undefined && 'kind' in since) return since;
  return make(since);
}
