import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import net from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * A guard over this process's sockets and name lookups, proving that nothing leaves the
 * machine: a UDP send or connect, a TCP connect, or a DNS lookup aimed anywhere but this
 * machine throws and is recorded in `violations` (so a library that swallows the error
 * still fails the test). This machine is loopback, the unspecified address, and the
 * addresses of its own interfaces: the kernel delivers those through `lo` (its `local`
 * routing table), they never reach a wire. Names: `localhost` and `*.localhost` only.
 * Threads and child processes have their own modules: guard them with the preload
 * (`network-guard.preload.ts`, `node --require`).
 */
export interface NetworkGuard {
  readonly violations: string[];
  uninstall(): void;
}

const LOOKUPS = ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveSrv', 'resolveTxt'] as const;

export function guardNetwork(onViolation: (violation: string) => void = () => undefined): NetworkGuard {
  const violations: string[] = [];
  const own = ownAddresses();
  const isLocalHost = (host: string) => isLocal(host, own);
  const restore: Array<() => void> = [];
  const refuse = (what: string, target: string): never => {
    const violation = `${what} ${target}`;
    violations.push(violation);
    onViolation(violation);
    throw new Error(`network guard: ${violation} would leave this machine`);
  };
  const wrap = <T extends object>(owner: T, name: keyof T & string, check: (args: unknown[]) => void) => {
    const original = owner[name] as unknown as (...args: unknown[]) => unknown;
    (owner as Record<string, unknown>)[name] = function guarded(this: unknown, ...args: unknown[]) {
      check(args);
      return original.apply(this, args);
    };
    restore.push(() => ((owner as Record<string, unknown>)[name] = original));
  };

  // A datagram's destination is its only string argument (send(msg[, offset, length][, port][, address][, cb])).
  const datagram = (what: string) => (args: unknown[]) => {
    for (const arg of args.slice(1)) if (typeof arg === 'string' && !isLocalHost(arg)) refuse(what, arg);
  };
  wrap(dgram.Socket.prototype, 'send', datagram('udp send to'));
  wrap(dgram.Socket.prototype, 'connect', datagram('udp connect to'));
  wrap(net.Socket.prototype, 'connect', (args) => {
    const host = tcpHost(args);
    if (host !== undefined && !isLocalHost(host)) refuse('tcp connect to', host);
  });
  for (const name of LOOKUPS) {
    const check = (args: unknown[]) => {
      if (typeof args[0] === 'string' && !isLocalHost(args[0])) refuse(`dns ${name} of`, args[0]);
    };
    wrap(dns, name, check);
    wrap(dns.promises, name, check);
  }
  return {
    violations,
    uninstall: () => {
      for (const undo of restore.splice(0).reverse()) undo();
    },
  };
}

/** The host a `net.Socket#connect` call aims at; undefined for a Unix socket or the default (localhost). */
function tcpHost(args: unknown[]): string | undefined {
  // net.connect() hands the socket its normalized arguments as one array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; path?: unknown };
    return typeof options.path === 'string' ? undefined : typeof options.host === 'string' ? options.host : undefined;
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a path
  return typeof args[1] === 'string' ? args[1] : undefined;
}

function ownAddresses(): Set<string> {
  const own = new Set<string>(['0.0.0.0', '::']);
  for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) own.add(info.address);
  return own;
}

/** Whether `host` (a name or an address) is this machine, whose addresses are `own`. */
function isLocal(host: string, own: Set<string>): boolean {
  const address = host.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase();
  if (isIP(address) === 0) return address === 'localhost' || address.endsWith('.localhost');
  const v4 = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return v4.startsWith('127.') || v4 === '::1' || own.has(v4);
}
