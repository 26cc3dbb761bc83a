import { verdict } from './close-policy';

describe('close policy', () => {
  const ending = { reason: '', opened: true, url: 'ws://h/ws', renewable: false, authRefusals: 0 };
  const outcome = (e: Partial<typeof ending> & { code: number; status?: number }) => {
    const v = verdict({ ...ending, ...e });
    return 'fail' in v ? `fail ${v.fail.code}${v.unauthorized ? ', unauthorized event' : ''}` : `reconnect${v.authRefused ? ' asking the token again' : ''}`;
  };

  it('fails on a refused credential, an expired token it cannot renew, and a broken limit; reconnects on anything else', () => {
    expect(outcome({ code: 4001 })).toBe('fail unauthorized, unauthorized event');
    expect(outcome({ code: 1006, status: 401, opened: false })).toBe('fail unauthorized, unauthorized event');
    expect(outcome({ code: 4003 })).toBe('fail token_expired');
    expect(outcome({ code: 1008 })).toBe('fail rate_limit');
    expect(outcome({ code: 1009 })).toBe('fail message_too_big');
    for (const code of [1000, 1001, 1006, 1011, 1012, 1013, 4000, 4002]) expect(outcome({ code })).toBe('reconnect');
  });

  it('with a token function: 4003 reconnects; 4001 and 401 once more, asking the function again', () => {
    expect(outcome({ code: 4003, renewable: true })).toBe('reconnect');
    expect(outcome({ code: 4001, renewable: true })).toBe('reconnect asking the token again');
    expect(outcome({ code: 1006, status: 401, renewable: true, opened: false })).toBe('reconnect asking the token again');
    expect(outcome({ code: 4001, renewable: true, authRefusals: 1 })).toBe('fail unauthorized, unauthorized event');
  });

  it('says why, with the server\'s reason when it gave one', () => {
    const v = verdict({ ...ending, code: 1008, reason: 'message rate limit exceeded' });
    expect('fail' in v && [v.fail.message, v.fail.closeCode]).toEqual(['message rate limit exceeded (1008)', 1008]);
    const refused = verdict({ ...ending, code: 1006, status: 401, opened: false });
    expect('fail' in refused && refused.fail.message).toBe('could not connect to ws://h/ws (HTTP 401): the credential was refused');
  });
});
