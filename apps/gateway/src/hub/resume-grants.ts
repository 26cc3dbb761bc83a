import type { Identity } from '@switchboard/auth';
import type { HistoryRead } from '@switchboard/bus';
import type { SwitchboardConfig } from '@switchboard/config';
import type { ResumeFrom, ResumeGap, StreamPosition } from '@switchboard/protocol';
import { HistoryTokens, historySubject } from './history-tokens';

/** Where a resume may read a room's history from; `notBefore`: only a history begun at or after that moment (store clock, ms). */
export interface Grant {
  read: StreamPosition;
  notBefore?: number;
}

/**
 * Who may replay what of a room's history: only what a client missed. Issues the resume
 * token of each join confirmation and reads the one a resume presents; with
 * WEBSOCKET_HISTORY_PUBLIC=true any `since` is read as given. Without a secret every replica
 * shares (only JWT_PUBLIC_KEY) no token is issued, so only public history replays.
 */
export class ResumeGrants {
  private readonly tokens: HistoryTokens | undefined;
  private readonly open: boolean;

  constructor(config: SwitchboardConfig) {
    const secret = config.auth.jwtPublicKey === undefined || config.auth.jwtSecret !== undefined ? config.auth.jwtSecret : undefined;
    this.tokens = secret === undefined ? undefined : new HistoryTokens(secret);
    this.open = config.bus.historyPublic;
  }

  /** The resume token for `identity` in `room` from `position`, if tokens can be issued. */
  issue(room: string, identity: Identity, position: StreamPosition): string | undefined {
    return this.tokens?.issue(room, historySubject(identity), position);
  }

  /**
   * Where a resume may read the history from: the client's `since`, but no earlier than its
   * resume token's position, and only with a token issued to this subject for this room.
   * Else why not (`gap`).
   *
   * A token of a room that had no history yet (`~<run>.<ms>`, offset 0) lets the client read
   * any history begun after that moment (`notBefore`: the history's `began` decides), so a
   * client that joined an empty room resumes from where it stands in the history begun since.
   */
  grant(room: string, identity: Identity, asked: ResumeFrom): Grant | { gap: ResumeGap } {
    const since = { offset: asked.offset, epoch: asked.epoch };
    if (this.open) return { read: since };
    if (asked.token === undefined) return { gap: 'resume_token_missing' };
    const granted = this.tokens?.read(asked.token, room, historySubject(identity));
    if (granted === undefined) return { gap: 'resume_token_invalid' };
    if (granted.epoch === since.epoch) return { read: { offset: Math.max(since.offset, granted.offset), epoch: since.epoch } };
    const emptyAt = /^~[0-9a-f]+\.(\d+)$/.exec(granted.epoch)?.[1];
    if (emptyAt !== undefined && granted.offset === 0 && !since.epoch.startsWith('~')) return { read: since, notBefore: Number(emptyAt) };
    return { read: granted };
  }
}

/** A read of a history begun before `at` (a token of an empty room's moment cannot reach it) recovers nothing. */
export function notBefore(read: HistoryRead | undefined, at: number | undefined): HistoryRead | undefined {
  if (read === undefined || at === undefined || (read.began !== undefined && read.began >= at)) return read;
  return { ...read, recovered: false, events: [] };
}
