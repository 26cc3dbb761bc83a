import { generateKeyPairSync } from 'node:crypto';
import { type Authenticator, JwtVerifier } from '@switchboard/auth';
import { ConfigError, loadConfig } from '@switchboard/config';
import type { UserRecord } from '../store/user.store';
import { TokenService } from './token.service';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = (k: typeof ec.publicKey) => k.export({ type: 'spki', format: 'pem' }) as string;
const user = { id: 'u-1', username: 'keyed', email: 'k@example.com' } as UserRecord;
/** No revocations: tokens are issued now. */
const noRevocations = { issueTime: () => Math.floor(Date.now() / 1000) } as unknown as Authenticator;

describe('TokenService signs with the algorithm of the key, whatever its PEM label', () => {
  it.each([
    ['PKCS#8 EC', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicPem(ec.publicKey), 'ES256', 'BEGIN PRIVATE KEY'],
    ['SEC1 EC', ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string, publicPem(ec.publicKey), 'ES256', 'BEGIN EC PRIVATE KEY'],
    ['PKCS#8 RSA', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicPem(rsa.publicKey), 'RS256', 'BEGIN PRIVATE KEY'],
    ['PKCS#1 RSA', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, publicPem(rsa.publicKey), 'RS256', 'BEGIN RSA PRIVATE KEY'],
  ])('%s key → %s, and the gateway verifies it with the public key', (_name, privatePem, publicKey, alg, label) => {
    expect(privatePem).toContain(label);
    const config = loadConfig({ JWT_PRIVATE_KEY: privatePem, JWT_PUBLIC_KEY: publicKey });
    expect(config.auth.jwtSigningAlgorithm).toBe(alg);
    const token = new TokenService(config, noRevocations).issue(user, []);
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toMatchObject({ alg });
    expect(new JwtVerifier({ publicKey }).verify(token)).toMatchObject({ userId: 'u-1', username: 'keyed', email: 'k@example.com' });
  });

  it.each([
    ['an Ed25519 key', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, /RSA key \(RS256\) or an EC P-256/],
    ['a P-384 key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, /EC key on secp384r1/],
    ['not a key', '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----', /must be a PEM private key/],
  ])('refuses %s at start-up, naming JWT_PRIVATE_KEY', (_name, pem, reason) => {
    let error: unknown;
    try {
      loadConfig({ JWT_PRIVATE_KEY: pem, JWT_SECRET: 'x'.repeat(32) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('JWT_PRIVATE_KEY');
    expect((error as Error).message).toMatch(reason);
  });
});
