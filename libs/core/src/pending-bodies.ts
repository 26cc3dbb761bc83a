import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';
import { clientIp } from '@switchboard/auth';

export interface PendingBodiesOptions {
  /** HTTP_MAX_PENDING_BODIES_PER_IP: bodies one client IP may be sending at once; 0: no cap. */
  max: number;
  /** Count by X-Forwarded-For's first entry (behind a trusted proxy), else by the socket's peer. */
  trustProxy: boolean;
  /** A request was refused with 429. */
  onRefused(): void;
}

/**
 * Counts, per client IP, the requests whose head has arrived and whose body is still
 * arriving. A body that trickles in holds its socket until HTTP_REQUEST_TIMEOUT; without a
 * cap one address could hold hundreds at once. Past the cap the request is answered 429
 * with `Connection: close` (through the app's exception filter, in its error shape) and its
 * socket closed; requests without a body are never counted.
 */
export class PendingBodies {
  private readonly perIp = new Map<string, number>();

  constructor(private readonly options: PendingBodiesOptions) {}

  /** Bodies being received now (all addresses). */
  get size(): number {
    let n = 0;
    for (const count of this.perIp.values()) n += count;
    return n;
  }

  /** Express middleware: install before the body parsers. */
  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (this.options.max <= 0 || !hasBody(req)) return next();
    const ip = clientIp(req, this.options.trustProxy);
    const held = this.perIp.get(ip) ?? 0;
    if (held >= this.options.max) {
      this.options.onRefused();
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '1');
      return next(new HttpException('too many requests still sending their body from this address; retry later', HttpStatus.TOO_MANY_REQUESTS));
    }
    this.perIp.set(ip, held + 1);
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    };
    req.once('end', done);
    req.once('close', done);
    next();
  };
}

/** Whether a body follows the head: chunked, or a non-zero Content-Length. */
function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}
