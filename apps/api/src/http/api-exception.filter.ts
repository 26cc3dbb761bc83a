import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { withoutQuery } from '@switchboard/core';
import type { Request, Response } from 'express';

/**
 * One JSON error shape for every failed request: `{success: false, error: {status, code, message}}`.
 * Unexpected errors are logged with context and answered 500 without internals.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal error';
    if (err instanceof HttpException) {
      status = err.getStatus();
      const body = err.getResponse();
      // /health/ready's 503 keeps terminus' body: it says which check is down.
      if (isHealthResult(body)) {
        res.status(status).json(body);
        return;
      }
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? err.message);
      // Express' JSON parser failed before any handler ran.
      if (status === 400 && /in JSON at position|JSON\.parse|Unexpected (token|end of JSON)/.test(message)) message = `request body is not valid JSON: ${message}`;
    } else if ((err as { type?: string })?.type === 'entity.parse.failed') {
      status = HttpStatus.BAD_REQUEST;
      message = 'request body is not valid JSON';
    } else if (isClientError(err)) {
      // The body parser refused the request (too large, bad encoding): the client's fault, not a failure.
      status = err.status;
      message = err.status === HttpStatus.PAYLOAD_TOO_LARGE ? 'request body too large' : err.message;
    } else {
      const e = err as Error;
      this.logger.error({ msg: 'request failed', error: e?.message, stack: e?.stack });
    }
    // Nest's 404 says `Cannot GET /path?query`: no body echoes a query string (it may hold ?token=).
    const req = host.switchToHttp().getRequest<Request>();
    res.status(status).json({ success: false, error: { status, code: codeOf(status), message: withoutQuery(message, req.originalUrl ?? req.url) } });
  }
}

/** An http-errors error meant for the client (body-parser's), e.g. 413 or 415. */
function isClientError(err: unknown): err is { status: number; message: string } {
  const e = err as { status?: unknown; expose?: unknown } | null;
  return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true;
}

function isHealthResult(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { status?: unknown }).status === 'error' && 'details' in body;
}

function codeOf(status: number): string {
  return (HttpStatus[status] ?? 'ERROR').toLowerCase();
}
