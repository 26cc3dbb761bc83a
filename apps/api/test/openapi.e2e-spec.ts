import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@switchboard/config';
import { startApi } from '../src/bootstrap';
import { startStandalone, TEST_SECRET } from './support/standalone';

/** The document's own routes, registered by SwaggerModule rather than by a controller. */
const DOC_ROUTES = new Set(['GET /docs', 'GET /openapi.json', 'GET /openapi.yaml']);

/** Every route Nest registered on the Express router, as "METHOD /path/{param}". */
function registeredRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance();
  const stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> = express.router.stack;
  const routes = new Set<string>();
  for (const layer of stack) {
    if (!layer.route || typeof layer.route.path !== 'string') continue;
    const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
    for (const method of Object.keys(layer.route.methods)) routes.add(`${method.toUpperCase()} ${path}`);
  }
  return [...routes].filter((r) => !DOC_ROUTES.has(r) && !r.startsWith('GET /docs')).sort();
}

function documentedRoutes(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  const routes: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) for (const method of Object.keys(ops)) routes.push(`${method.toUpperCase()} ${path}`);
  return routes.sort();
}

describe.each([
  ['standalone', async () => startStandalone()],
  ['api', async () => startApi(loadConfig({ JWT_SECRET: TEST_SECRET, PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory://' }), false)],
])('OpenAPI on the %s app', (_name, start) => {
  let app: INestApplication;
  let http: string;
  let doc: any;
  beforeAll(async () => {
    const running = await start();
    app = running.app;
    http = `http://127.0.0.1:${running.port}`;
    const res = await fetch(`${http}/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
  }, 30000);
  afterAll(async () => {
    await app?.close();
  });

  it('is an OpenAPI 3 document listing every route Nest registered', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    const registered = registeredRoutes(app);
    expect(registered).toContain('POST /auth/login');
    expect(registered).toContain('GET /health/ready');
    expect(documentedRoutes(doc)).toEqual(registered);
  });

  it('describes request bodies, responses, errors and both security schemes', () => {
    expect(doc.components.securitySchemes).toEqual({
      jwt: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      api_key: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    const schemaOf = (ref: { $ref?: string }) => doc.components.schemas[ref.$ref!.split('/').pop()!];
    const register = doc.paths['/auth/register'].post;
    const body = schemaOf(register.requestBody.content['application/json'].schema);
    expect(body).toMatchObject({ type: 'object', required: ['username', 'password'], additionalProperties: false });
    expect(body.properties.password).toMatchObject({ type: 'string', minLength: 8, maxLength: 128 });
    expect(schemaOf(register.responses['201'].content['application/json'].schema).properties).toHaveProperty('api_key');
    expect(schemaOf(register.responses['400'].content['application/json'].schema).properties.error.properties).toHaveProperty('message');

    const create = doc.paths['/api/v1/messages'].post;
    expect(create.security).toEqual(expect.arrayContaining([{ jwt: [] }, { api_key: [] }]));
    expect(create.responses['401']).toBeDefined();
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const ok = Object.keys(op.responses ?? {}).filter((s) => /^2/.test(s));
        expect({ route: `${method} ${path}`, hasSuccess: ok.length > 0 }).toEqual({ route: `${method} ${path}`, hasSuccess: true });
      }
    }
  });

  it('works as a client would use it: the documented register and login answer as described', async () => {
    const login = doc.paths['/auth/login'].post;
    const required: string[] = doc.components.schemas[login.requestBody.content['application/json'].schema.$ref.split('/').pop()].required;
    const creds = { username: 'docs-user', password: 'a long enough passphrase' };
    expect((await fetch(`${http}/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(creds) })).status).toBe(201);
    const res = await fetch(`${http}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(required.map((k) => [k, creds[k as keyof typeof creds]]))),
    });
    expect(res.status).toBe(Number(Object.keys(login.responses).find((s) => /^2/.test(s))));
    const token = doc.components.schemas[login.responses['200'].content['application/json'].schema.$ref.split('/').pop()];
    expect(Object.keys(await res.json()).sort()).toEqual(Object.keys(token.properties).sort());
  });
});
