import WebSocket from 'ws';

/** One chat message as a resuming client received it. */
export interface Received {
  offset: number;
  epoch: string;
  content: string;
}

/**
 * A rooms client that resumes by itself: on close it reconnects to a replica `pick` names,
 * with `?since=&epoch=&resume_token=` from the last message and confirmation it got, and keeps every message it receives.
 * What a real client does on 1012; tests read `received` and `resumes`.
 */
export class ResumingClient {
  readonly received: Received[] = [];
  /** How each reconnect's join was answered. */
  readonly resumes: Array<{ recovered: boolean | undefined; code: number }> = [];
  private position?: { offset: number; epoch: string };
  /** The resume token of the newest join confirmation: presented on every resume. */
  private token?: string;
  private ws?: WebSocket;
  private stopped = false;
  private joined!: Promise<void>;

  constructor(
    readonly room: string,
    readonly userId: string,
    private readonly pick: () => string,
  ) {}

  /** Connects and resolves once the first join is confirmed. */
  start(): Promise<void> {
    this.joined = new Promise((resolve) => this.open(resolve));
    return this.joined;
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
  }

  private open(onJoined?: () => void, closeCode = 0): void {
    if (this.stopped) return;
    const since = this.position ? `&since=${this.position.offset}&epoch=${this.position.epoch}${this.token ? `&resume_token=${this.token}` : ''}` : '';
    const ws = new WebSocket(`${this.pick()}/ws/${this.room}?user_id=${this.userId}${since}`);
    this.ws = ws;
    let opened = false;
    ws.on('open', () => (opened = true));
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Record<string, unknown>;
      if (f.type === 'user_list' && f.room === this.room) {
        if (closeCode !== 0) this.resumes.push({ recovered: f.recovered as boolean | undefined, code: closeCode });
        if (this.position === undefined) this.position = { offset: f.offset as number, epoch: f.epoch as string };
        if (typeof f.resume_token === 'string') this.token = f.resume_token;
        onJoined?.();
      } else if (f.type === 'message' && f.room === this.room) {
        const got = { offset: f.offset as number, epoch: f.epoch as string, content: f.content as string };
        this.received.push(got);
        this.position = { offset: got.offset, epoch: got.epoch };
      }
    });
    // Refused (503 while a replica drains) or closed (1012, 1006): try again elsewhere.
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      if (this.stopped) return;
      setTimeout(() => this.open(onJoined, opened ? code : closeCode || code), opened ? 0 : 50);
    });
  }
}
