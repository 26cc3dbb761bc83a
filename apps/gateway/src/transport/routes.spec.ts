import { matchRoute } from './routes';

const q = (query: string) => new URLSearchParams(query);

describe('matchRoute', () => {
  it('resumes the room a path joins from ?since=&epoch=', () => {
    expect(matchRoute('/ws/room1', q('since=12&epoch=ab12'))).toMatchObject({ gateway: '/ws', authRequired: false, room: 'room1', style: 'chat', since: { offset: 12, epoch: 'ab12' } });
    expect(matchRoute('/api/v1/ws', q('channel_id=c1&since=0&epoch=e'))).toMatchObject({ room: 'c1', style: 'channel', since: { offset: 0, epoch: 'e' } });
    expect(matchRoute('/ws/auth/room1', q('token=x'))).not.toHaveProperty('since');
  });

  it('answers a bad since with a reason (400)', () => {
    expect(matchRoute('/ws/room1', q('since=abc&epoch=e'))).toEqual({ bad: expect.stringContaining('since') });
    expect(matchRoute('/api/v1/ws', q('channel_id=c1&since=4'))).toEqual({ bad: expect.stringContaining('epoch') });
  });

  it('ignores since on a path that joins no room', () => {
    expect(matchRoute('/ws', q('since=abc'))).toMatchObject({ gateway: '/ws', authRequired: false });
    expect(matchRoute('/ws', q('since=abc'))).not.toHaveProperty('since');
  });
});
