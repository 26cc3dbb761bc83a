import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers on every HTTP response of every app (helmet): `X-Content-Type-Options:
 * nosniff`, `Referrer-Policy: no-referrer`, `Strict-Transport-Security`, a CSP that allows
 * nothing (pages set their own: the HTML client at `/`, Swagger UI at `/docs`), and no
 * `X-Powered-By`.
 */
export const securityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  referrerPolicy: { policy: 'no-referrer' },
});
