import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
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
});
