import { invalid } from './codec';
import type { DecodeError } from './commands';
import { ErrorCode } from './codes';
import type { ResumeFrom } from './events';

/** Epochs the bus makes are short; anything longer is not one. */
const MAX_EPOCH_LENGTH = 64;
const OFFSET_TEXT = /^\d{1,15}$/;
/** A resume token is base64url and a dot; anything else, or longer, is not one this server wrote. */
const TOKEN_TEXT = /^[A-Za-z0-9_.-]{1,512}$/;

/**
 * Reads a join frame's `since: {offset, epoch, resume_token?}`: undefined when absent, an
 * error when it is not a whole offset ≥ 0, a non-empty epoch string and (if given) a token string.
 */
export function decodeSince(type: string, since: unknown): ResumeFrom | undefined | DecodeError {
  if (since === undefined || since === null) return undefined;
  if (typeof since !== 'object' || Array.isArray(since)) return badSince(type);
  const { offset, epoch, resume_token: token } = since as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return badSince(type);
  if (!isEpoch(epoch)) return badSince(type);
  if (token === undefined || token === null) return { offset, epoch };
  if (typeof token !== 'string' || !TOKEN_TEXT.test(token)) return badSince(type);
  return { offset, epoch, token };
}

/** Reads `?since=&epoch=&resume_token=` of a path that joins: undefined when neither since nor epoch is given, else both must be valid. */
export function sinceFromQuery(query: URLSearchParams): ResumeFrom | undefined | { bad: string } {
  const offset = query.get('since');
  const epoch = query.get('epoch');
  if (offset === null && epoch === null) return undefined;
  if (offset === null || !OFFSET_TEXT.test(offset) || !isEpoch(epoch)) {
    return { bad: 'invalid since: give ?since=<offset> (a whole number) with ?epoch=<epoch> from the last message' };
  }
  const token = query.get('resume_token');
  if (token === null) return { offset: Number(offset), epoch };
  if (!TOKEN_TEXT.test(token)) return { bad: 'invalid resume_token: give the resume_token of the last join confirmation' };
  return { offset: Number(offset), epoch, token };
}

function isEpoch(epoch: unknown): epoch is string {
  return typeof epoch === 'string' && epoch.length > 0 && epoch.length <= MAX_EPOCH_LENGTH;
}

function badSince(type: string): DecodeError {
  return invalid(ErrorCode.BadField, `"${type}" has an invalid "since": expected {"offset": a whole number ≥ 0, "epoch": a string, "resume_token"?: the resume_token of the last join confirmation}`);
}

/** Decodes `since` and hands it to `make`, or returns why it is invalid. */
export function withSince<T>(type: string, value: unknown, make: (since: ResumeFrom | undefined) => T | DecodeError): T | DecodeError {
  const since = decodeSince(type, value);
  if (since !== undefined && 'kind' in since) return since;
  return make(since);
}
