import { Endpoints } from './endpoints';

describe('Endpoints', () => {
  afterEach(() => jest.restoreAllMocks());

  it('walks a list in turn from a random start', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.7);
    const endpoints = new Endpoints(['ws://a', 'ws://b', 'ws://c']);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(await endpoints.current());
      endpoints.moveOn();
    }
    expect(seen).toEqual(['ws://c', 'ws://a', 'ws://b', 'ws://c']);
    expect(endpoints.count).toBe(3);
  });

  it('asks a function for each attempt, and turns its throw into a rejection', async () => {
    let n = 0;
    const endpoints = new Endpoints(() => `ws://r${++n}`);
    expect([await endpoints.current(), await endpoints.current()]).toEqual(['ws://r1', 'ws://r2']);
    const failing = new Endpoints(() => {
      throw new Error('no replica');
    });
    await expect(failing.current()).rejects.toThrow('no replica');
    expect(() => new Endpoints([])).toThrow('urls: give at least one URL');
  });
});
