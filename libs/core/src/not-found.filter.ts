import { type ArgumentsHost, Catch, NotFoundException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';

/**
 * Nest answers an unknown route with `Cannot GET /path?query`: the query string may carry a
 * credential (`?token=`), and no response body echoes one. This filter gives the same 404
 * with the path alone; other errors go to Nest's own handling. (The api's exception filter
 * does the same in its own error shape.)
 */
@Catch(NotFoundException)
export class NotFoundFilter extends BaseExceptionFilter {
  override catch(err: NotFoundException, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(err, host);
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const body = err.getResponse();
    const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? err.message);
    res.status(404).json({ statusCode: 404, error: 'Not Found', message: withoutQuery(message, req.originalUrl ?? req.url) });
  }
}

/** `text` with every copy of `url` replaced by its path: what a response may say about a request. */
export function withoutQuery(text: string, url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? text : text.split(url).join(url.slice(0, q));
}
