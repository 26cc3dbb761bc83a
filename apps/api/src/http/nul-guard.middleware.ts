import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * 400 for a NUL character (U+0000) anywhere in a request's path, query string or JSON body,
 * naming where. PostgreSQL cannot store one in text or JSON, so it used to reach the database
 * and come back as a 500 with a stack trace; no Switchboard field has a use for it.
 */
export function refuseNul(req: Request, _res: Response, next: NextFunction): void {
  const where = nulInPath(req.originalUrl ?? req.url) ?? nulIn(req.query, 'query parameter') ?? nulIn(req.body, 'field');
  if (where !== undefined) throw new BadRequestException(`${where} must not contain a NUL character (\\u0000)`);
  next();
}

function nulInPath(url: string): string | undefined {
  const path = url.split('?', 1)[0];
  return /%00|\u0000/.test(path) ? 'the path' : undefined;
}

/** Where in a parsed query or body a string (value or key) holds a NUL: `field "content"`. */
function nulIn(value: unknown, kind: string, path: string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? `${kind} "${path.join('.')}"` : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${kind} name "${[...path, key.replace(/\u0000/g, '\\u0000')].join('.')}"`;
    const found = nulIn(inner, kind, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}
