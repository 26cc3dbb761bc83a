import { applyDecorators, type INestApplication } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiSecurity, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc, createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/** Every failed request: `{success: false, error: {status, code, message}}` (ApiExceptionFilter). */
export class ErrorDto extends createZodDto(
  z.object({
    success: z.literal(false),
    error: z.object({
      status: z.number().int().describe('the HTTP status'),
      code: z.string().describe('the status in words: bad_request, unauthorized, too_many_requests…'),
      message: z.string().describe('what was wrong; for a 400, the field and what it needs'),
    }),
  }),
) {}

const REASONS: Record<number, string> = {
  400: 'malformed request: the message names the field',
  401: 'no, bad or expired credentials',
  403: 'the credentials may not do this',
  404: 'not found',
  409: 'conflict',
  429: 'too many attempts: retry after the Retry-After header (seconds)',
  503: 'the message bus is unavailable; nothing was done',
};

/** Documents the error answers a route can give, all in ErrorDto's shape. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: REASONS[status], type: ErrorDto })));
}

/** The route needs credentials: a JWT (`Authorization: Bearer`) or an API key (`X-API-Key`). */
export function ApiCredentials() {
  return applyDecorators(ApiBearerAuth('jwt'), ApiSecurity('api_key'), ApiErrors(401));
}

/**
 * Swagger UI's page loads its own scripts and styles and uses inline styles; everything
 * else (other sites, frames, forms) stays refused. Every other response keeps helmet's CSP.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves Swagger UI at `/docs` (with a CSP of its own) and the OpenAPI 3 document at
 * `/openapi.json` and `/openapi.yaml`, built once, when first asked for.
 */
export function setupOpenApi(app: INestApplication): void {
  app.use('/docs', (_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    next();
  });
  const config = new DocumentBuilder()
    .setTitle('Switchboard REST API')
    .setDescription(
      'Accounts, stored chat messages, server-side publish and cluster stats. WebSocket endpoints (/ws, /api/v1/ws, /signaling) are described in docs/protocol/ of the repository.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a token from POST /auth/login' }, 'jwt')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'the key from /auth/register (also accepted as ?api_key=)' }, 'api_key')
    .build();
  // Built on the first request for it, not at start-up, where no one waits for it: ~0.1-0.2 s
  // of the ~1.9 s of CPU a later standalone start takes to be ready (bench/results/HISTORY.md).
  const document = () => cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml', raw: ['json', 'yaml'] });
}
