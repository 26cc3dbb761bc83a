import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Metrics } from '@switchboard/observability';
import { type HubEvent, isUplink, Topics, type UplinkEvent } from '@switchboard/protocol';
import type { UplinkAnswer, UplinkRelay, UplinkTaker } from '../transport/sse/uplink-relay';
import { ClusterNode } from './cluster-node';

/** How long a forwarded uplink waits for the session's replica to answer. */
export const FORWARD_TIMEOUT_MS = 5000;
const ANSWERS: ReadonlySet<number> = new Set([202, 403, 404, 413]);

interface Waiting {
  resolve(answer: UplinkAnswer): void;
  timer: NodeJS.Timeout;
}

/**
 * SSE uplinks without sticky sessions. The replica holding a session subscribes to the
 * session's topic; a POST that reaches another replica is published there with the token's
 * proof and this replica's number for the request, and the holder answers on this replica's
 * own topic with the HTTP status for the POST. Both topics are routed here by the node.
 *
 * Order: the holder takes a session's uplinks in the order they arrive, which for one
 * forwarding replica is the order it published them; and it answers only after it queued the
 * frames, so a POST sent after an earlier one was answered is taken after it, from any replica.
 */
@Injectable()
export class UplinkRelayService implements UplinkRelay, OnApplicationShutdown {
  private readonly logger = new Logger('UplinkRelay');
  private readonly waiting = new Map<number, Waiting>();
  private requests = 0;
  private taker: UplinkTaker = () => ({ status: 404, reason: 'no such session: open a new stream' });

  constructor(
    private readonly node: ClusterNode,
    private readonly metrics: Metrics,
  ) {
    node.route('session', (session, event) => this.arrived(session, event));
    node.route('node', (_node, event) => this.answered(event));
  }

  serve(taker: UplinkTaker): void {
    this.taker = taker;
  }

  open(sessionId: string): Promise<void> {
    return this.node.want(Topics.session(sessionId));
  }

  close(sessionId: string): void {
    this.node.drop(Topics.session(sessionId));
  }

  async forward(sessionId: string, proof: string, frames: readonly string[]): Promise<UplinkAnswer> {
    const request = ++this.requests;
    const answer = new Promise<UplinkAnswer>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(request);
        this.metrics.busErrors.labels('uplink answer').inc();
        resolve({ status: 504, reason: "the session's replica did not answer in time; the frames may or may not have been taken" });
      }, FORWARD_TIMEOUT_MS);
      this.waiting.set(request, { resolve, timer });
    });
    const event: UplinkEvent = { kind: 'uplink', session: sessionId, proof, frames: [...frames], replyTo: this.node.nodeId, request, ts: Date.now() };
    let receivers: number;
    try {
      receivers = await this.node.publish(Topics.session(sessionId), event);
    } catch (err) {
      this.settle(request, { status: 503, reason: (err as Error).message });
      return answer;
    }
    // Nobody holds the session (it closed, or its replica is gone).
    if (receivers === 0) this.settle(request, { status: 404, reason: 'no such session: open a new stream' });
    return answer;
  }

  onApplicationShutdown(): void {
    for (const request of [...this.waiting.keys()]) this.settle(request, { status: 503, reason: 'this replica is shutting down' });
  }

  /** An uplink for a session of this replica: taken, and answered to the replica that forwarded it. */
  private arrived(session: string, event: HubEvent): void {
    if (!isUplink(event) || event.session !== session) return this.dropped('bad_uplink', event);
    const { status, reason } = this.taker(session, event.proof, event.frames);
    // At the end of this turn, after the stream's flush of the replies the frames made at once
    // (a pong; the flush was scheduled first): they are not queued behind the answer's write.
    setImmediate(() => {
      this.node.publish(Topics.node(event.replyTo), { kind: 'uplink_answer', request: event.request, status, reason, ts: Date.now() }).catch(() => {
        // Logged and counted by the node; the forwarder answers 504 when its wait ends.
      });
    });
  }

  private answered(event: HubEvent): void {
    if (event.kind !== 'uplink_answer' || !ANSWERS.has(event.status)) return this.dropped('bad_uplink_answer', event);
    this.settle(event.request, { status: event.status as UplinkAnswer['status'], reason: event.reason });
  }

  private settle(request: number, answer: UplinkAnswer): void {
    const waiting = this.waiting.get(request);
    if (!waiting) return;
    this.waiting.delete(request);
    clearTimeout(waiting.timer);
    waiting.resolve(answer);
  }

  private dropped(reason: string, event: HubEvent): void {
    this.metrics.busDropped.labels(reason).inc();
    this.logger.debug({ msg: 'dropped a malformed event on an SSE topic', kind: event.kind });
  }
}
