import type { Command } from '@switchboard/protocol';
import { type BudgetLimits, FrameBudget } from './frame-budget';

const costs = { join: 2, resume: 5, userList: 4, replyRate: 0, replyBurst: 1024 };
const budget = (limits: Partial<BudgetLimits> = {}, now = Date.now()) => new FrameBudget({ messageRate: 1, messageBurst: 10, rateLimitStrikes: 3, costs, ...limits }, now);
const resume: Command = { kind: 'join', room: 'r', style: 'chat', since: { offset: 0, epoch: 'e' } };
const list: Command = { kind: 'list', room: 'r' };

describe('FrameBudget', () => {
  it('weighs joins, resumes and user_list by their cost, and counts a refusal as a strike', () => {
    const t = Date.now();
    const b = budget({}, t);
    // 10 tokens: a resume (5) and a user_list (4) pass; the last token admits a frame, not a second resume.
    expect([b.admitFrame(t), b.admitCommand(t, resume)]).toEqual(['ok', 'ok']);
    expect([b.admitFrame(t), b.admitCommand(t, list)]).toEqual(['ok', 'ok']);
    expect(b.admitFrame(t)).toBe('ok');
    expect(b.admitCommand(t, resume)).toBe('drop');
    expect(b.firstStrike).toBe(true);
    expect(b.admitFrame(t)).toBe('drop');
    expect(b.admitFrame(t)).toBe('close');
  });

  it('without costs every frame costs one', () => {
    const t = Date.now();
    const b = budget({ costs: undefined, messageBurst: 2 }, t);
    expect(b.costly(resume)).toBe(false);
    expect([b.admitFrame(t), b.admitCommand(t, resume), b.admitFrame(t), b.admitCommand(t, resume), b.admitFrame(t)]).toEqual(['ok', 'ok', 'ok', 'ok', 'drop']);
  });

  it('refuses costly requests while the replies they made the server send are over WEBSOCKET_REPLY_RATE, until it refills', () => {
    const t = Date.now();
    const b = budget({ messageBurst: 100, rateLimitStrikes: 5, costs: { ...costs, replyRate: 1000, replyBurst: 2000 } }, t);
    expect(b.costly(list)).toBe(true);
    expect(b.costly({ kind: 'ping' })).toBe(false);
    expect(b.admitReplies(t)).toBe('ok');
    b.chargeReplies(2500, t);
    expect(b.admitReplies(t)).toBe('drop');
    expect(b.firstStrike).toBe(true);
    expect(b.admitReplies(t + 1000)).toBe('ok');
  });
});
