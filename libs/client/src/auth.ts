/*
 * The auth helpers of seed 004's client, against the api's REST endpoints. They use the
 * platform's `fetch` (browsers, Node 18+). `baseUrl` is the api's origin, e.g.
 * `https://switchboard.example.com`.
 */

/** How a request authenticates: an API key (`X-API-Key`) or a JWT (`Authorization: Bearer`). */
export type Credential = { apiKey: string } | { token: string };

/**
 * A REST call the api refused. `message` is the api's own reason (`username already
 * taken`), `status` the HTTP status, `code` the api's error code when it sent one
 * (`conflict`, `unauthorized`…), and `method`/`path` the request it answers.
 */
export class SwitchboardHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'SwitchboardHttpError';
  }
}

export interface Registered {
  user_id: string;
  api_key: string;
}

export interface Me {
  user_id: string;
  username: string;
  email: string | null;
  permissions: string[];
  via: string;
}

/** `POST /auth/register`: creates a user and returns its first API key. */
export function register(baseUrl: string, user: { username: string; password: string; email?: string }): Promise<Registered> {
  return call(baseUrl, 'POST', '/auth/register', undefined, user);
}

/** `POST /auth/login`: a JWT for the rooms and channels dialects (and signaling). */
export function login(baseUrl: string, user: { username: string; password: string }): Promise<{ access_token: string; expires_in: number }> {
  return call(baseUrl, 'POST', '/auth/login', undefined, user);
}

/** `POST /auth/regenerate`: a new API key; the old one stops working. */
export function regenerate(baseUrl: string, credential: Credential): Promise<{ api_key: string }> {
  return call(baseUrl, 'POST', '/auth/regenerate', credential);
}

/** `POST /auth/newpassword`. */
export function newpassword(baseUrl: string, credential: Credential, passwords: { oldPassword: string; newPassword: string }): Promise<{ success: boolean }> {
  return call(baseUrl, 'POST', '/auth/newpassword', credential, { old_password: passwords.oldPassword, new_password: passwords.newPassword });
}

/** `GET /auth/me`: who the credential belongs to. */
export function me(baseUrl: string, credential: Credential): Promise<Me> {
  return call(baseUrl, 'GET', '/auth/me', credential);
}

async function call<T>(baseUrl: string, method: string, path: string, credential?: Credential, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (credential && 'apiKey' in credential) headers['x-api-key'] = credential.apiKey;
  else if (credential) headers.authorization = `Bearer ${credential.token}`;
  const res = await fetch(new URL(path, baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = parseJson(text);
  if (!res.ok) {
    const { code, reason } = errorOf(json);
    throw new SwitchboardHttpError(res.status, reason ?? (text || res.statusText || `HTTP ${res.status}`), code, method, path);
  }
  return json as T;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The reason and code of an error body: the api's `{error: {code, message}}`, or the
 * plainer `{message, error}` shapes (Nest's default, proxies), messages lists joined.
 */
function errorOf(body: unknown): { code?: string; reason?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const outer = body as { message?: unknown; error?: unknown; code?: unknown };
  const inner = typeof outer.error === 'object' && outer.error !== null ? (outer.error as { message?: unknown; code?: unknown }) : undefined;
  const reason = nonEmpty(inner?.message) ?? nonEmpty(outer.message) ?? nonEmpty(outer.error);
  const code = nonEmpty(inner?.code) ?? nonEmpty(outer.code);
  return { code, reason };
}

function nonEmpty(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && value.length > 0) return value.map(String).join('; ');
  return undefined;
}
