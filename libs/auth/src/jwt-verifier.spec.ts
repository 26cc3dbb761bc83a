import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { signToken } from '@switchboard/testing';
import { JwtVerifier } from './jwt-verifier';

const secret = 's'.repeat(32);
const claims = { sub: 'u1', username: 'alice', rooms: ['r1'] };

describe('JwtVerifier', () => {
  it('accepts an HS256 token signed with the secret and maps its claims', () => {
    const token = new JwtService({ secret }).sign(claims, { expiresIn: 60 });
    expect(new JwtVerifier({ secret }).verify(token)).toMatchObject({ userId: 'u1', username: 'alice', rooms: ['r1'], authenticated: true });
  });

  it('refuses a wrong signature and an expired token, saying which', () => {
    const verifier = new JwtVerifier({ secret });
    expect(() => verifier.verify(new JwtService({ secret: 'x'.repeat(32) }).sign(claims, { expiresIn: 60 }))).toThrow('invalid token');
    expect(() => verifier.verify(new JwtService({ secret }).sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }))).toThrow('token expired');
  });

  it.each([
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ] as const)('accepts %s with the public key, and refuses an HS256 token keyed with that public key', (algorithm, keys) => {
    const { privateKey, publicKey } = keys();
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verifier = new JwtVerifier({ publicKey: pem });
    const token = new JwtService({ privateKey }).sign(claims, { algorithm, expiresIn: 60 });
    expect(verifier.verify(token).userId).toBe('u1');
    const confused = new JwtService({ secret: pem }).sign(claims, { algorithm: 'HS256', expiresIn: 60 });
    expect(() => verifier.verify(confused)).toThrow('invalid token');
  });

  it('checks aud and iss when an audience and an issuer are configured, and only then', () => {
    const verifier = new JwtVerifier({ secret }, { audience: 'switchboard', issuer: 'https://id.example.com' });
    const sign = (extra: Record<string, unknown>) => signToken({ sub: 'u1', ...extra }, secret);
    expect(verifier.verify(sign({ aud: 'switchboard', iss: 'https://id.example.com' })).userId).toBe('u1');
    expect(verifier.verify(sign({ aud: ['other', 'switchboard'], iss: 'https://id.example.com' })).userId).toBe('u1');
    expect(() => verifier.verify(sign({ iss: 'https://id.example.com' }))).toThrow('token is for another audience (aud)');
    expect(() => verifier.verify(sign({ aud: 'other', iss: 'https://id.example.com' }))).toThrow('token is for another audience (aud)');
    expect(() => verifier.verify(sign({ aud: 'switchboard' }))).toThrow('token is from another issuer (iss)');
    expect(() => verifier.verify(sign({ aud: 'switchboard', iss: 'https://evil.example.com' }))).toThrow('token is from another issuer (iss)');
    expect(new JwtVerifier({ secret }).verify(sign({ aud: 'anything', iss: 'anyone' })).userId).toBe('u1');
  });

  it('refuses an iat further in the future than the clock skew', () => {
    const verifier = new JwtVerifier({ secret }, { clockSkewMs: 30_000 });
    const now = Math.floor(Date.now() / 1000);
    expect(verifier.verify(signToken({ sub: 'u1', iat: now + 20 }, secret)).userId).toBe('u1');
    expect(() => verifier.verify(signToken({ sub: 'u1', iat: now + 120 }, secret))).toThrow('token issued in the future (iat)');
  });

  it('refuses a token whose header has crit: it names an extension this server does not implement', () => {
    const verifier = new JwtVerifier({ secret });
    expect(() => verifier.verify(signToken({ sub: 'u1' }, secret, 60, { crit: ['exp-policy'], 'exp-policy': 'strict' }))).toThrow(
      'token header "crit" names extensions this server does not implement: exp-policy',
    );
    expect(() => verifier.verify(signToken({ sub: 'u1' }, secret, 60, { crit: [] }))).toThrow(/"crit"/);
    expect(verifier.verify(signToken({ sub: 'u1' }, secret, 60, { kid: 'k1' })).userId).toBe('u1');
  });
});
