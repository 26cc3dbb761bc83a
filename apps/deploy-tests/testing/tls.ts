import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

/**
 * A throw-away self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI
 * the way deploy/README.md tells an operator to: certs/tls.crt and certs/tls.key under `dir`.
 */
export function makeSelfSignedCert(dir: string): { cert: string; key: string; pem: Buffer } {
  const certs = join(dir, 'certs');
  mkdirSync(certs, { recursive: true });
  const cert = join(certs, 'tls.crt');
  const key = join(certs, 'tls.key');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert],
      { stdio: 'pipe', timeout: 15_000 },
    );
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer; message: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (Debian package `openssl`): the edge test makes its certificate with it');
    throw new Error(`openssl failed: ${e.stderr?.toString() ?? e.message}`);
  }
  return { cert, key, pem: readFileSync(cert) };
}

export interface HttpsResponse { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: any }

/** One HTTPS request trusting only `ca` (the test's certificate), bounded in time. */
export function httpsRequest(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        agent: false,
        headers: { ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...options.headers },
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
