import { HistoryTokens } from './history-tokens';

describe('HistoryTokens', () => {
  const tokens = new HistoryTokens('a test secret of enough length');
  const at = { epoch: '9f2c1a7e', offset: 41 };

  it('gives back the position it was issued for, to the same room and subject only', () => {
    const token = tokens.issue('lobby', 'user:ann', at);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(tokens.read(token, 'lobby', 'user:ann')).toEqual(at);
    expect(tokens.read(token, 'lobby2', 'user:ann')).toBeUndefined();
    expect(tokens.read(token, 'lobby', 'guest:ann')).toBeUndefined();
    expect(new HistoryTokens('another secret, another cluster').read(token, 'lobby', 'user:ann')).toBeUndefined();
  });

  it('refuses a token whose position was changed, or that is not one', () => {
    const [, sig] = tokens.issue('lobby', 'user:ann', at).split('.');
    const earlier = Buffer.from(JSON.stringify({ e: at.epoch, o: 0 })).toString('base64url');
    for (const bad of [`${earlier}.${sig}`, 'nodot', '.', `${earlier}.`, '']) expect(tokens.read(bad, 'lobby', 'user:ann')).toBeUndefined();
  });
});
