import { BadRequestException } from '@nestjs/common';
import { createZodValidationPipe } from 'nestjs-zod';
import { z } from 'zod';

/**
 * Request bodies are zod schemas (the DTOs are `createZodDto(schema)`, which also feed the
 * OpenAPI document) checked by this pipe. A failure is a 400 whose message names each bad
 * field and what it needs, e.g. `"username" must be at least 3 characters`.
 */
export const ApiValidationPipe = createZodValidationPipe({
  createValidationException: (error) => new BadRequestException(describeIssues(error as z.ZodError)),
});

/** One sentence per issue, `"field" <what is wrong>`; messages of the field helpers below omit the field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      if (issue.path.length === 0) return issue.message;
      return `"${issue.path.join('.')}" ${issue.message}`;
    })
    .join('; ');
}

/** A JSON object with exactly these fields: anything else is refused by name. */
export function body<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, { error: (iss) => (iss.code === 'invalid_type' ? 'request body must be a JSON object (Content-Type: application/json)' : undefined) });
}

export interface TextRule {
  min?: number;
  max: number;
  pattern?: RegExp;
  /** What a value matching `pattern` looks like, for the error: "an email address". */
  what?: string;
}

/**
 * A required string with length bounds (every string has a maximum) and an optional pattern.
 * Missing, `null` and `""` are all "is required", as before the schemas.
 */
export function text(rule: TextRule) {
  let schema = z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') });
  if (rule.min !== undefined && rule.min > 1) schema = schema.min(rule.min, `must be at least ${rule.min} characters`);
  schema = schema.max(rule.max, `must be at most ${rule.max} characters`);
  if (rule.pattern) schema = schema.regex(rule.pattern, `must be ${rule.what ?? `like ${rule.pattern}`}`);
  return z.preprocess(absentIfEmpty, schema);
}

/** A field that may be left out; `null` and `""` count as left out, as before the schemas. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess(absentIfEmpty, schema.optional());
}

function absentIfEmpty(value: unknown): unknown {
  return value === null || value === '' ? undefined : value;
}

/** Any JSON value, but present. */
export function anyJson() {
  return z.unknown().refine((v) => v !== undefined, { message: 'is required' });
}

/** One of a few strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: () => `must be one of ${values.join(', ')}` });
}
