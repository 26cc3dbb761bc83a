import { redactUrl } from './logger';

describe('redactUrl', () => {
  it('replaces credential values by the parameter name the server decodes, however it is written', () => {
    const cases: Array<[string, string]> = [
      ['/ws?token=abc&room=x', '/ws?token=[redacted]&room=x'],
      ['/a?api_key=k1', '/a?api_key=[redacted]'],
      ['/a?api%5Fkey=k1', '/a?api%5Fkey=[redacted]'],
      ['/a?api%5fkey=k1', '/a?api%5fkey=[redacted]'],
      ['/a?to%6Ben=t1', '/a?to%6Ben=[redacted]'],
      ['/a?%74%6f%6b%65%6e=t1', '/a?%74%6f%6b%65%6e=[redacted]'],
      ['/a?api_key[]=k1&api_key[0]=k2', '/a?api_key[]=[redacted]&api_key[0]=[redacted]'],
      ['/a?api_key%5B%5D=k1', '/a?api_key%5B%5D=[redacted]'],
      ['/a?API-Key=k1&Token=t', '/a?API-Key=[redacted]&Token=[redacted]'],
      ['/a?access_token=t&resume_token=r&session_token=s&password=p', '/a?access_token=[redacted]&resume_token=[redacted]&session_token=[redacted]&password=[redacted]'],
      ['/a?token', '/a?token=[redacted]'],
      ['/a?to%6=x&since=3&epoch=e', '/a?to%6=x&since=3&epoch=e'],
      ['/a?user_id=u1&channel_id=c', '/a?user_id=u1&channel_id=c'],
      ['/plain/path', '/plain/path'],
    ];
    for (const [url, logged] of cases) expect(redactUrl(url)).toBe(logged);
  });
});
