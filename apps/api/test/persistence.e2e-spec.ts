import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, rest, startAppProcess } from '@switchboard/testing';

/** `npm start` keeps its data in DATA_DIR (embedded PGlite): users and messages survive a restart. */
describe('standalone persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps users and messages across a restart', async () => {
    const env = { DATA_DIR: dir, JWT_SECRET: 'persistence-secret-0123456789' };
    const first = await startAppProcess('standalone', env);
    let call = rest(first.http);
    await call('POST', '/auth/register', { username: 'keeper', password: 'secret123' });
    let token = (await call('POST', '/auth/login', { username: 'keeper', password: 'secret123' })).body.access_token;
    const created = await call('POST', '/api/v1/messages', { channel_id: 'kept', content: 'still here?' }, bearer(token));
    expect(created.status).toBe(201);
    expect(await first.stop()).toBe(0);

    const second = await startAppProcess('standalone', env);
    try {
      call = rest(second.http);
      token = (await call('POST', '/auth/login', { username: 'keeper', password: 'secret123' })).body.access_token;
      const history = await call('GET', '/api/v1/channels/kept/messages', undefined, bearer(token));
      expect(history.body.data).toEqual([expect.objectContaining({ id: created.body.data.id, content: 'still here?' })]);
    } finally {
      await second.stop();
    }
  }, 60000);
});
