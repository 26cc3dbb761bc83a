/** A handshake's hold on this replica's connection caps, from its request to its connection's close. */
export interface Slot {
  /** Gives the place back; later calls do nothing. */
  release(): void;
}

/**
 * This replica's connection caps: every connection and every handshake still under way holds
 * one slot of WEBSOCKET_MAX_CONNECTIONS and one of its IP's WEBSOCKET_MAX_CONNECTIONS_PER_IP.
 * A slot is taken synchronously, before the handshake awaits anything (an API key lookup, a
 * presence write), so handshakes in flight together can never pass a cap.
 */
export class ConnectionSlots {
  private held = 0;
  private readonly perIp = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    /** 0: no per-IP cap. */
    private readonly maxPerIp: number,
  ) {}

  /** Slots held: open connections and handshakes under way. */
  get count(): number {
    return this.held;
  }

  /** A slot for a handshake from `ip`, or which cap is full. */
  take(ip: string): Slot | 'replica' | 'ip' {
    if (this.held >= this.maxTotal) return 'replica';
    const fromIp = this.perIp.get(ip) ?? 0;
    if (this.maxPerIp > 0 && fromIp >= this.maxPerIp) return 'ip';
    this.held += 1;
    this.perIp.set(ip, fromIp + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held -= 1;
        const left = (this.perIp.get(ip) ?? 1) - 1;
        if (left > 0) this.perIp.set(ip, left);
        else this.perIp.delete(ip);
      },
    };
  }
}
