import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type SwitchboardConfig } from '@switchboard/config';
import { CONNECTIONS } from './connection-registry';

/** The connections flow control pauses and resumes. */
export interface Pausable {
  pauseReading(): void;
  resumeReading(): void;
}

/**
 * Replica-wide backpressure. Each connection bounds its own unsent data (slow consumers are
 * shed), but a burst fanned out to many healthy-but-slower readers can still pile up in the
 * process. Past WEBSOCKET_MAX_QUEUED_BYTES queued in total the replica stops reading from
 * every client, so TCP pushes back on the senders, and the hub holds further bus events
 * (one object each, instead of one queued frame per recipient); below half of it, both
 * resume.
 */
@Injectable()
export class FlowControl {
  private queued = 0;
  private paused = false;
  private readonly high: number;
  private readonly low: number;
  private readonly resumed: Array<() => void> = [];

  constructor(
    @Inject(CONFIG) config: SwitchboardConfig,
    /** The connections to pause (the hub's local index). */
    @Inject(CONNECTIONS) private readonly connections: { all(): Iterable<Pausable> },
  ) {
    this.high = config.ws.maxQueuedBytes;
    this.low = config.ws.maxQueuedBytes / 2;
  }

  /** Called each time the replica resumes. */
  onResume(listener: () => void): void {
    this.resumed.push(listener);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get queuedBytes(): number {
    return this.queued;
  }

  queuedMore(bytes: number): void {
    this.queued += bytes;
    if (!this.paused && this.queued > this.high) {
      this.paused = true;
      for (const c of this.connections.all()) c.pauseReading();
    }
  }

  queuedLess(bytes: number): void {
    this.queued -= bytes;
    if (this.paused && this.queued < this.low) {
      this.paused = false;
      for (const c of this.connections.all()) c.resumeReading();
      for (const listener of this.resumed) listener();
    }
  }
}
