import type { Connection } from '../connection';
import type { FrameIntake } from '../frame-intake';
import { proofOf, SESSION_ID, SseSessions } from './sse-sessions';

function setup() {
  const taken: string[] = [];
  const intake = { take: (_conn: Connection, data: string) => void taken.push(data) } as unknown as FrameIntake;
  const sessions = new SseSessions(intake);
  const conn = { open: true, lastSeen: 0 } as unknown as Connection;
  const { id, token } = sessions.open(conn, 32);
  return { sessions, conn, id, token, taken };
}

describe('SseSessions', () => {
  it('issues a random id and token, and takes frames only with the token, all of them in order', () => {
    const { sessions, conn, id, token, taken } = setup();
    expect(id).toMatch(SESSION_ID);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(sessions.take(id, proofOf('wrong'), ['{"type":"ping"}'])).toMatchObject({ status: 403 });
    expect(sessions.take('AAAAAAAAAAAAAAAA', proofOf(token), ['{"type":"ping"}'])).toMatchObject({ status: 404 });
    expect(taken).toEqual([]);
    expect(sessions.take(id, proofOf(token), ['{"type":"ping"}', '{"type":"x"}'])).toEqual({ status: 202 });
    expect(taken).toEqual(['{"type":"ping"}', '{"type":"x"}']);
    expect(conn.lastSeen).toBeGreaterThan(0);
  });

  it('takes nothing of a POST with a frame over the limit, and nothing once the session is closed', () => {
    const { sessions, id, token, taken } = setup();
    expect(sessions.take(id, proofOf(token), ['{"type":"ping"}', `{"type":"${'x'.repeat(40)}"}`])).toMatchObject({ status: 413 });
    sessions.close(id);
    expect(sessions.take(id, proofOf(token), ['{"type":"ping"}'])).toMatchObject({ status: 404 });
    expect(taken).toEqual([]);
  });
});
