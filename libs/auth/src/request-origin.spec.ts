import type { IncomingMessage } from 'node:http';
import { clientIp, cookieOriginAllowed, requestScheme } from './request-origin';

describe('cookieOriginAllowed', () => {
  it('lets a client without Origin (not a browser) use its cookie', () => {
    expect(cookieOriginAllowed(['*'], undefined, 'chat.example.com')).toBe(true);
    expect(cookieOriginAllowed(['https://app.example.com'], undefined, undefined)).toBe(true);
  });

  it('with a list, counts the cookie only from a listed origin, in any case', () => {
    const list = ['https://app.example.com', 'http://localhost:3000'];
    expect(cookieOriginAllowed(list, 'https://app.example.com', 'api.example.com')).toBe(true);
    expect(cookieOriginAllowed(list, 'HTTPS://APP.example.com', 'api.example.com')).toBe(true);
    expect(cookieOriginAllowed(list, 'http://localhost:3000', 'localhost:8080')).toBe(true);
    expect(cookieOriginAllowed(list, 'https://evil.example', 'api.example.com')).toBe(false);
    expect(cookieOriginAllowed(list, 'https://app.example.com.evil.example', 'api.example.com')).toBe(false);
    // Listed origins are exact: the server's own host is not implied.
    expect(cookieOriginAllowed(list, 'https://api.example.com', 'api.example.com')).toBe(false);
  });

  it('with *, counts the cookie only from the server itself (Origin host = Host)', () => {
    expect(cookieOriginAllowed(['*'], 'http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    expect(cookieOriginAllowed(['*'], 'https://Chat.Example.com', 'chat.example.com')).toBe(true);
    expect(cookieOriginAllowed(['*'], 'http://127.0.0.1:9999', '127.0.0.1:8080')).toBe(false);
    expect(cookieOriginAllowed(['*'], 'https://evil.example', 'chat.example.com')).toBe(false);
    expect(cookieOriginAllowed(['*'], 'https://chat.example.com', undefined)).toBe(false);
    expect(cookieOriginAllowed(['*'], 'not a url', 'chat.example.com')).toBe(false);
  });

  it('with * and the request scheme given, counts the cookie only from the same scheme too', () => {
    expect(cookieOriginAllowed(['*'], 'https://chat.example.com', 'chat.example.com', 'https')).toBe(true);
    expect(cookieOriginAllowed(['*'], 'http://chat.example.com', 'chat.example.com', 'https')).toBe(false);
    expect(cookieOriginAllowed(['*'], 'https://chat.example.com', 'chat.example.com', 'http')).toBe(false);
    expect(cookieOriginAllowed(['*'], 'http://127.0.0.1:8080', '127.0.0.1:8080', 'http')).toBe(true);
    // A list names its schemes already.
    expect(cookieOriginAllowed(['http://app.example.com'], 'http://app.example.com', 'api.example.com', 'https')).toBe(true);
  });

  it('never counts Origin: null', () => {
    expect(cookieOriginAllowed(['*'], 'null', 'null')).toBe(false);
    expect(cookieOriginAllowed(['*'], 'null', 'chat.example.com')).toBe(false);
    expect(cookieOriginAllowed(['https://app.example.com'], 'null', 'chat.example.com')).toBe(false);
  });
});

describe('requestScheme', () => {
  const req = (headers: IncomingMessage['headers'], encrypted?: boolean) => ({ headers, socket: { encrypted } }) as unknown as Pick<IncomingMessage, 'headers' | 'socket'>;

  it('is the socket\'s unless the proxy is trusted, then X-Forwarded-Proto\'s first entry', () => {
    expect(requestScheme(req({ 'x-forwarded-proto': 'https' }), false)).toBe('http');
    expect(requestScheme(req({}, true), false)).toBe('https');
    expect(requestScheme(req({ 'x-forwarded-proto': 'HTTPS, http' }), true)).toBe('https');
    expect(requestScheme(req({ 'x-forwarded-proto': 'http' }, true), true)).toBe('http');
    expect(requestScheme(req({ 'x-forwarded-proto': 'gopher' }), true)).toBe('http');
    expect(requestScheme(req({}), true)).toBe('http');
  });
});

describe('clientIp', () => {
  const req = (headers: IncomingMessage['headers'], remoteAddress?: string) => ({ headers, socket: { remoteAddress } }) as Pick<IncomingMessage, 'headers' | 'socket'>;

  it('is the socket peer unless the proxy is trusted', () => {
    expect(clientIp(req({ 'x-forwarded-for': '203.0.113.7' }, '10.0.0.1'), false)).toBe('10.0.0.1');
    expect(clientIp(req({}, undefined), false)).toBe('unknown');
  });

  it('behind a trusted proxy, is the first X-Forwarded-For entry, else the peer', () => {
    expect(clientIp(req({ 'x-forwarded-for': ' 203.0.113.7 , 10.0.0.2' }, '10.0.0.1'), true)).toBe('203.0.113.7');
    expect(clientIp(req({ 'x-forwarded-for': ['198.51.100.1', '10.0.0.2'] as unknown as string }, '10.0.0.1'), true)).toBe('198.51.100.1');
    expect(clientIp(req({ 'x-forwarded-for': '' }, '10.0.0.1'), true)).toBe('10.0.0.1');
    expect(clientIp(req({}, '10.0.0.1'), true)).toBe('10.0.0.1');
  });
});
