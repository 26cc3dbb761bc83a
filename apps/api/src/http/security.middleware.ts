import type { NextFunction, Request, Response } from 'express';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * 415 unless the body is JSON. A cross-site HTML form can only send form-encoded or text
 * bodies, so endpoints that take credentials in the body, or write on the caller's behalf
 * (`/api/v1/messages`), accept JSON alone.
 */
export function requireJsonBody(req: Request, res: Response, next: NextFunction): void {
  if (JSON_TYPE.test(req.headers['content-type'] ?? '')) return next();
  const status = 415;
  res.status(status).json({
    success: false,
    error: { status, code: 'unsupported_media_type', message: 'send the body as JSON (Content-Type: application/json)' },
  });
}
