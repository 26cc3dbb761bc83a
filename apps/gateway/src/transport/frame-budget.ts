import type { Command } from '@switchboard/protocol';
import { TokenBucket } from './token-bucket';

/** WEBSOCKET_MESSAGE_RATE / _BURST, WEBSOCKET_RATE_LIMIT_STRIKES, and what costly frames cost. */
export interface BudgetLimits {
  messageRate: number;
  messageBurst: number;
  rateLimitStrikes: number;
  /** What costly frames take from the rate limit, and the cap on reply bytes; absent: every frame costs 1, no cap. */
  costs?: CostLimits;
}

/** WEBSOCKET_JOIN_COST / _RESUME_COST / _USER_LIST_COST, WEBSOCKET_REPLY_RATE / _BURST. */
export interface CostLimits {
  join: number;
  resume: number;
  userList: number;
  /** Bytes per second of replies; 0: no cap. */
  replyRate: number;
  replyBurst: number;
}

/** 'ok', 'drop' (send an error, once per run of drops) or 'close' (1008: too many strikes in a row). */
export type Verdict = 'ok' | 'drop' | 'close';

/**
 * What one client may make the server do: frames per second, where a join, a resume or a
 * `user_list` counts for more (its cost), and bytes of replies its own requests make the
 * server send. Every refusal is a strike; `rateLimitStrikes` in a row close the connection.
 */
export class FrameBudget {
  private readonly frames: TokenBucket;
  private strikes = 0;
  /** WEBSOCKET_REPLY_RATE / _BURST: bytes of replies the client's requests may make the server send. */
  private readonly replies: TokenBucket | undefined;

  constructor(
    private readonly limits: BudgetLimits,
    now: number,
  ) {
    this.frames = new TokenBucket(limits.messageBurst, now);
    if (limits.costs !== undefined && limits.costs.replyRate > 0) this.replies = new TokenBucket(limits.costs.replyBurst, now);
  }

  /** Counts a client frame, before it is decoded; `admitCommand` takes the rest of a costly frame's price. */
  admitFrame(now: number): Verdict {
    return this.frames.take(now, this.limits.messageRate, this.limits.messageBurst) ? 'ok' : this.strike();
  }

  /** The rest of what a decoded frame costs: a join, a resume or a `user_list` takes more tokens (WEBSOCKET_*_COST). */
  admitCommand(now: number, command: Command): Verdict {
    const extra = this.costOf(command);
    if (extra !== undefined && extra > 0 && !this.frames.take(now, this.limits.messageRate, this.limits.messageBurst, extra)) return this.strike();
    this.strikes = 0;
    return 'ok';
  }

  /** True for a join, a resume or a `user_list`: what makes the server send much in reply. */
  costly(command: Command): boolean {
    return this.costOf(command) !== undefined;
  }

  /**
   * Whether a costly request may run now: not while the replies this client's requests made
   * the server send are over WEBSOCKET_REPLY_RATE (checked as it runs, after the requests
   * before it were answered and counted).
   */
  admitReplies(now: number): Verdict {
    const { costs } = this.limits;
    return this.replies?.spent(now, costs!.replyRate, costs!.replyBurst) ? this.strike() : 'ok';
  }

  /** Counts `bytes` the client's own requests made the server send (replies, replays). */
  chargeReplies(bytes: number, now = Date.now()): void {
    const { costs } = this.limits;
    this.replies?.spend(now, costs!.replyRate, costs!.replyBurst, bytes);
  }

  /** True for the first refusal of a run, so the client gets one error, not one per frame. */
  get firstStrike(): boolean {
    return this.strikes === 1;
  }

  /** Tokens a costly command takes beyond the frame's own one; undefined for a command that is not costly. */
  private costOf(command: Command): number | undefined {
    const { costs } = this.limits;
    if (costs === undefined) return undefined;
    if (command.kind === 'join') return (command.since === undefined ? costs.join : costs.resume) - 1;
    if (command.kind === 'list') return costs.userList - 1;
    return undefined;
  }

  private strike(): 'drop' | 'close' {
    this.strikes += 1;
    return this.strikes < this.limits.rateLimitStrikes ? 'drop' : 'close';
  }
}
