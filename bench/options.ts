import type { Target } from './servers';

export type Scenario = 'fanout' | 'idle' | 'idle-room';

/** The parameters of one bench invocation; flags override `BENCH_*` variables, which override defaults. */
export interface BenchOptions {
  quick: boolean;
  /** Fan-out: clients in the one room (the sender is one of them). */
  clients: number;
  /** Fan-out: messages the sender sends. */
  messages: number;
  /** Fan-out: bytes of `content` per message. */
  payloadBytes: number;
  /** Fan-out: messages per second the sender aims at; 0 sends as fast as backpressure allows. */
  rate: number;
  /** Idle: connections held. */
  idleClients: number;
  /** Idle in rooms: members per room. */
  roomSize: number;
  /** Load-client processes sharing the clients. */
  clientProcesses: number;
  /** Connections opened at once (across processes). */
  connectBatch: number;
  targets: Target[];
  scenarios: Scenario[];
  /** CPU-profile the gateway during fan-out (`--cpu-prof`) and print its hottest functions. */
  profile: boolean;
  profileDir: string;
  /** Scenarios that cannot start before this many seconds have passed are skipped. */
  deadlineSeconds: number;
  /** Where the JSON results go ('' for nowhere). */
  json: string;
}

const FULL = { clients: 1000, messages: 2000, payloadBytes: 100, idleClients: 5000, roomSize: 100, deadlineSeconds: 180 };
const QUICK = { clients: 100, messages: 200, payloadBytes: 100, idleClients: 500, roomSize: 50, deadlineSeconds: 60 };

const HELP = `Usage: node dist/bench/run.js [--quick] [--clients N] [--messages N] [--payload BYTES]
       [--rate MSG_PER_S]
       [--idle N] [--room-size N] [--client-procs N] [--batch N]
       [--targets switchboard,ws-reference] [--scenarios fanout,idle,idle-room]
       [--profile] [--profile-dir DIR] [--deadline SECONDS] [--json PATH|none]
Each flag also reads from BENCH_<NAME> (e.g. BENCH_CLIENTS=500, BENCH_QUICK=1).`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, defaultJson: string): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${HELP}\n`);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"\n${HELP}`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) flags.set(arg.slice(2), argv[++i]);
    else flags.set(arg.slice(2), 'true');
  }
  const read = (name: string): string | undefined => flags.get(name) ?? env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const bool = (name: string) => ['1', 'true', 'yes'].includes((read(name) ?? '').toLowerCase());
  const quick = bool('quick');
  const base = quick ? QUICK : FULL;
  const int = (name: string, fallback: number, min = 1): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
    return n;
  };
  const list = <T extends string>(name: string, allowed: readonly T[]): T[] => {
    const raw = read(name);
    if (raw === undefined) return [...allowed];
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) if (!allowed.includes(item as T)) throw new Error(`--${name}: "${item}" is not one of ${allowed.join(', ')}`);
    return items as T[];
  };
  const json = read('json') ?? defaultJson;
  return {
    quick,
    clients: int('clients', base.clients, 2),
    messages: int('messages', base.messages),
    payloadBytes: int('payload', base.payloadBytes, 32),
    rate: int('rate', 0, 0),
    idleClients: int('idle', base.idleClients),
    roomSize: int('room-size', base.roomSize),
    clientProcesses: int('client-procs', 2),
    connectBatch: int('batch', 100),
    targets: list('targets', ['switchboard', 'ws-reference'] as const),
    scenarios: list('scenarios', ['fanout', 'idle', 'idle-room'] as const),
    profile: bool('profile'),
    profileDir: read('profile-dir') ?? '/tmp/switchboard-bench-prof',
    deadlineSeconds: int('deadline', base.deadlineSeconds),
    json: json === 'none' ? '' : json,
  };
}
