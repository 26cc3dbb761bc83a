/*
 * The auth helpers of seed 004's client, against the api's REST endpoints. They use the
 * platform's `fetch` (browsers, Node 18+). `baseUrl` is the api's origin, e.g.
 * `https://switchboard.example.com`.
 */

/** How a request authenticates: an API key (`X-API-Key`) or a JWT (`Authorization: Bearer`). */
export type Credential = { apiKey: string } | { token: string };

/** A REST call the api refused; `status` is the HTTP status, the message the api's reason. */
export class SwitchboardHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
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
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const reason = (json as { message?: unknown; error?: unknown } | undefined)?.message ?? (json as { error?: unknown } | undefined)?.error ?? text;
    throw new SwitchboardHttpError(res.status, `${method} ${path}: ${res.status} ${Array.isArray(reason) ? reason.join('; ') : String(reason)}`);
  }
  return json as T;
}
