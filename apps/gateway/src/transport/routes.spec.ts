import { channelsCodec, type Codec, roomsChatCodec, roomsHubCodec, signalingCodec } from '@switchboard/protocol';
import type { Dialect } from './dialect';
import { DIALECTS } from '../dialects';
import { matchRoute, type Route } from './routes';

const route = (path: string, query = '') => matchRoute(DIALECTS, path, new URLSearchParams(query)) as Route;

describe('matchRoute over the dialect registry', () => {
  it('routes the rooms paths, with or without a room and a credential', () => {
    expect(route('/ws')).toMatchObject({ authRequired: false, dialect: { path: '/ws', codec: roomsChatCodec } });
    expect(route('/ws/')).toMatchObject({ authRequired: false });
    expect(route('/ws/lobby')).toMatchObject({ authRequired: false, room: 'lobby', style: 'chat' });
    expect(route('/ws/auth')).toMatchObject({ authRequired: true, dialect: { path: '/ws' } });
    expect(route('/ws/auth').room).toBeUndefined();
    expect(route('/ws/auth/lobby')).toMatchObject({ authRequired: true, room: 'lobby', style: 'chat' });
    expect(route('/ws/caf%C3%A9')).toBeUndefined(); // not a room name
    expect(route('/ws/%E0%A4%A')).toBeUndefined(); // not decodable
    expect(route('/ws/a/b')).toBeUndefined();
  });

  it('routes channels with and without channel_id, and rejects a bad one with a reason', () => {
    expect(route('/api/v1/ws')).toMatchObject({ authRequired: true, dialect: { codec: channelsCodec } });
    expect(route('/api/v1/ws', 'channel_id=general')).toMatchObject({ room: 'general', style: 'channel' });
    expect(matchRoute(DIALECTS, '/api/v1/ws', new URLSearchParams('channel_id=a b'))).toEqual({ bad: expect.stringMatching(/invalid channel_id/) });
  });

  it('routes /signaling to the signaling dialect, credential required, API key accepted', () => {
    expect(route('/signaling')).toMatchObject({ authRequired: true, acceptsApiKey: true, dialect: { name: 'signaling', codec: signalingCodec } });
    expect(route('/signaling/')).toMatchObject({ dialect: { name: 'signaling' } });
    expect(matchRoute(DIALECTS, '/signaling/x')).toBeUndefined();
  });

  it('answers undefined for paths no dialect claims', () => {
    expect(matchRoute(DIALECTS, '/')).toBeUndefined();
    expect(matchRoute(DIALECTS, '/health/live')).toBeUndefined();
    expect(matchRoute(DIALECTS, '/wsx')).toBeUndefined();
  });

  it('gives the first dialect that claims a path, with its credential rule', () => {
    const fake = (name: string, claims: string, required: boolean): Dialect => ({
      name,
      path: `/${name}`,
      gateway: class {},
      codec: roomsChatCodec,
      styles: {},
      credential: { required, apiKey: !required },
      match: (path) => (path === claims ? {} : undefined),
    });
    const table = [fake('a', '/x', true), fake('b', '/x', false), fake('c', '/y', false)];
    expect(matchRoute(table, '/x')).toMatchObject({ dialect: { name: 'a' }, authRequired: true, acceptsApiKey: false });
    expect(matchRoute(table, '/y/')).toMatchObject({ dialect: { name: 'c' }, authRequired: false, acceptsApiKey: true });
  });
});

describe('the dialect registry', () => {
  it('names each dialect once, and every dialect renders its own join styles', () => {
    expect(new Set(DIALECTS.map((d) => d.name)).size).toBe(DIALECTS.length);
    for (const d of DIALECTS) {
      expect(d.path.startsWith('/')).toBe(true);
      expect(Object.keys(d.styles).length).toBeGreaterThan(0);
    }
  });

  it('maps each join style to the codec that renders room events for it', () => {
    const styles: Record<string, Codec> = Object.assign({}, ...DIALECTS.map((d) => d.styles));
    expect(styles).toMatchObject({ chat: roomsChatCodec, hub: roomsHubCodec, channel: channelsCodec });
  });

  it('gives every dialect sharing a path the same codec (one server per path)', () => {
    const byPath = new Map<string, Codec>();
    for (const d of DIALECTS) {
      expect(byPath.get(d.path) ?? d.codec).toBe(d.codec);
      byPath.set(d.path, d.codec);
    }
  });
});

describe('matchRoute: resuming from the path', () => {
  const q = (query: string) => new URLSearchParams(query);
  it('resumes the room a path joins from ?since=&epoch=', () => {
    expect(matchRoute(DIALECTS, '/ws/room1', q('since=12&epoch=ab12'))).toMatchObject({ dialect: { path: '/ws' }, authRequired: false, room: 'room1', style: 'chat', since: { offset: 12, epoch: 'ab12' } });
    expect(matchRoute(DIALECTS, '/api/v1/ws', q('channel_id=c1&since=0&epoch=e'))).toMatchObject({ room: 'c1', style: 'channel', since: { offset: 0, epoch: 'e' } });
    expect(matchRoute(DIALECTS, '/ws/auth/room1', q('token=x'))).not.toHaveProperty('since');
  });

  it('answers a bad since with a reason (400)', () => {
    expect(matchRoute(DIALECTS, '/ws/room1', q('since=abc&epoch=e'))).toEqual({ bad: expect.stringContaining('since') });
    expect(matchRoute(DIALECTS, '/api/v1/ws', q('channel_id=c1&since=4'))).toEqual({ bad: expect.stringContaining('epoch') });
  });

  it('ignores since on a path that joins no room', () => {
    expect(matchRoute(DIALECTS, '/ws', q('since=abc'))).toMatchObject({ dialect: { path: '/ws' }, authRequired: false });
    expect(matchRoute(DIALECTS, '/ws', q('since=abc'))).not.toHaveProperty('since');
  });
});
