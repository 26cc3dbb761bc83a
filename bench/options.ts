import type { Target } from './servers';

export type Scenario = 'fanout' | 'fanout-2r' | 'fanout-2r-nohistory' | 'rooms-2r' | 'idle' | 'idle-room' | 'resume' | 'signaling-2r' | 'signaling-resume' | 'sse-2r' | 'acks-2r' | ScaleScenario;

export const SCENARIOS: readonly Scenario[] = ['fanout', 'fanout-2r', 'fanout-2r-nohistory', 'rooms-2r', 'idle', 'idle-room', 'resume', 'signaling-2r', 'signaling-resume', 'sse-2r', 'acks-2r'];

// --- size scenarios (issue 9): opt-in, they hold 10,000+ connections ---
export type ScaleScenario = 'fill-room' | 'idle-many' | 'storm';
/** Run only when named in --scenarios (each takes a minute or two and many file descriptors). */
export const SCALE_SCENARIOS: readonly ScaleScenario[] = ['fill-room', 'idle-many', 'storm'];
export const TARGETS: readonly Target[] = ['switchboard', 'ws-reference', 'socketio'];

/** The parameters of one bench invocation; flags override `BENCH_*` variables, which override defaults. */
export interface BenchOptions {
  quick: boolean;
  /** Fan-out (one server, and fanout-2r): clients in the one room (the sender is one of them). */
  clients: number;
  /** Fan-out (and fanout-2r): messages the sender sends. */
  messages: number;
  /** Bytes of `content` per message (every scenario that sends). */
  payloadBytes: number;
  /** Fan-out (and fanout-2r): messages per second the sender aims at; 0 sends as fast as backpressure allows. */
  rate: number;
  /** rooms-2r: clients, spread evenly over the rooms and, within each room, over the replicas. */
  roomsClients: number;
  /** rooms-2r: rooms. */
  rooms: number;
  /** rooms-2r: messages per second, all senders together, round-robin over the rooms. */
  roomsRate: number;
  /** rooms-2r: seconds of sending (rate × seconds messages, in whole rounds over the rooms). */
  roomsSeconds: number;
  /** Idle: connections held. */
  idleClients: number;
  /** Idle in rooms: members per room. */
  roomSize: number;
  /** signaling-2r: peer pairs, each exchanging an offer, an answer and 10 ICE candidates across the replicas. */
  signalingPairs: number;
  /** signaling-2r: pairs started per second (0: all at once, a burst). */
  signalingRate: number;
  /** signaling-resume: peers on the replica that is SIGKILLed, resuming on the other. */
  signalingResumePeers: number;
  /** sse-2r: ping round trips measured on each uplink path. */
  uplinkSamples: number;
  /** Load-client processes sharing the clients. */
  clientProcesses: number;
  /** Connections opened at once (across processes). */
  connectBatch: number;
  targets: Target[];
  scenarios: Scenario[];
  /** CPU-profile the gateway during fan-out (`--cpu-prof`) and print its hottest functions. */
  profile: boolean;
  profileDir: string;
  /** A run whose deliveries stop progressing this long ends as incomplete (the rest count as lost). */
  stallSeconds: number;
  /** Scenarios that cannot start before this many seconds have passed are skipped. */
  deadlineSeconds: number;
  /** Where the JSON results go ('' for nowhere). */
  json: string;
  // --- size scenarios and write delay (issue 9) ---
  /** fill-room: clients joining the one room across the replicas. */
  fillClients: number;
  /** idle-many: connections held by one gateway replica. */
  idleManyClients: number;
  /** storm: clients over the 3 replicas (a third of them on the replica that is killed). */
  stormClients: number;
  /** fill-room, idle-many: loopback source addresses the clients bind (127.B.0.2 …, see freshSourceAddresses). */
  sources: number;
  /** fill-room, idle-many: handshakes in flight at once (across the load processes). */
  connectWindow: number;
  /** rooms-2r: WEBSOCKET_WRITE_DELAY values (ms), one gateway run each. */
  writeDelays: number[];
}

const FULL = {
  clients: 1000,
  messages: 2000,
  payloadBytes: 100,
  roomsClients: 2000,
  rooms: 100,
  roomsRate: 500,
  roomsSeconds: 10,
  idleClients: 5000,
  roomSize: 100,
  signalingPairs: 500,
  signalingResumePeers: 2000,
  uplinkSamples: 1000,
  deadlineSeconds: 240,
  fillClients: 10_000,
  idleManyClients: 18_000,
  stormClients: 3000,
};
const QUICK = {
  clients: 100,
  messages: 200,
  payloadBytes: 100,
  roomsClients: 200,
  rooms: 10,
  roomsRate: 200,
  roomsSeconds: 3,
  idleClients: 500,
  roomSize: 50,
  signalingPairs: 50,
  signalingResumePeers: 200,
  uplinkSamples: 200,
  deadlineSeconds: 90,
  fillClients: 1000,
  idleManyClients: 2000,
  stormClients: 600,
};

const HELP = `Usage: node dist/bench/run.js [--quick] [--clients N] [--messages N] [--payload BYTES]
       [--rate MSG_PER_S]
       [--rooms-clients N] [--rooms N] [--rooms-rate MSG_PER_S] [--rooms-seconds S]
       [--idle N] [--room-size N] [--signaling-pairs N] [--signaling-rate PAIRS_PER_S] [--signaling-resume N] [--uplink-samples N]
       [--client-procs N] [--batch N]
       [--targets switchboard,ws-reference,socketio]
       [--scenarios fanout,fanout-2r,fanout-2r-nohistory,rooms-2r,idle,idle-room,resume,signaling-2r,signaling-resume,sse-2r,acks-2r]
       [--profile] [--profile-dir DIR] [--stall SECONDS] [--deadline SECONDS] [--json PATH|none]
       [--fill N] [--idle-many N] [--storm N] [--sources K] [--window N] [--write-delay MS,MS]
Scenarios:
  fanout     --clients in one room on one server, one sends --messages as fast as it may
  fanout-2r  the same across 2 replicas on one Redis (sender on the first); room history on
  fanout-2r-nohistory  the same with WEBSOCKET_HISTORY_SIZE=0: the cost of history
  rooms-2r   --rooms-clients in --rooms rooms across 2 replicas, --rooms-rate messages/s
             round-robin over the rooms for --rooms-seconds
  idle       --idle idle connections (no room); idle-room: in rooms of --room-size
  resume     --clients clients resume 100 missed messages each (since=0), 50 at a time
  signaling-2r  --signaling-pairs WebRTC peer pairs across 2 replicas, each relaying an offer,
             an answer and 10 ICE candidates, --signaling-rate pairs starting per second
             (default 200; 0 = all at once): relays/s, relay latency, server CPU per relay
  signaling-resume  --signaling-resume peers (2,000) on one of 2 replicas, each in a room with
             a watcher on the other; the first is SIGKILLed and every peer resumes on the
             second (?resume=, --window in flight): resumes/s, SIGKILL → resumed, CPU per
             resume, peer_left seen by the watchers (0)
  sse-2r     fanout-2r twice in one run, its receivers on WebSockets then on SSE streams
             (the sender a WebSocket client both times): server CPU per delivery and p99; and
             --uplink-samples round trips (ping, and a chat message back through the bus)
             over a WebSocket, over SSE POSTing to the
             stream's replica, and POSTing to the other replica (forwarded over the bus)
  acks-2r    --rooms rooms of two across 2 replicas (sender on one, receiver on the other),
             --rooms-rate messages/s for --rooms-seconds, twice in one run: without and with
             a publish id on every frame (acked, deduplicated in Redis): CPU per published
             message (replicas + Redis) and the ratio
Size scenarios (run only when named in --scenarios):
  fill-room  --fill JWT clients join one room across 2 replicas: joins/s, CPU and Redis
             commands per join, one message to all, user_list; beside ws-reference (connect
             rate) and socketio (2 replicas, one room)
  idle-many  --idle-many JWT connections on one replica (ping period 5 s, pong wait 10 s):
             connect rate vs ws-reference, RSS/connection, ping lateness, a muted client's
             termination, p99 of a 20-member probe room
  storm      --storm JWT clients (3,000; 12,000 needs --deadline 400) in 200 rooms over 3
             replicas under 200 msg/s; one replica is SIGKILLed: time until its clients are
             back in their rooms and resumed (vs plain ws accepting as many connections, same
             run), messages lost (must be 0), p99 of the clients that stayed; and the
             same storm through Socket.IO (no resume)
  All open from --sources loopback addresses (127.B.0.2…, new for each run) with --window handshakes in flight.
--write-delay: rooms-2r runs the gateway once per WEBSOCKET_WRITE_DELAY value (ms), default 0,5.
Targets run where they apply: ws-reference, a plain ws server doing nothing else (the
machine's floor), in fanout, idle, idle-many, fill-room (connects only) and rooms-2r (one
process holding every room), and as a plain ws relay over Redis pub/sub in signaling-2r;
socketio (Socket.IO 4 + @socket.io/redis-adapter) in fanout-2r, rooms-2r and fill-room.
--profile profiles the gateway (every replica) in one extra run of fanout, fanout-2r, rooms-2r, sse-2r (its SSE fan-out, and its uplink round trips),
  signaling-2r, fill-room and idle-many;
BENCH_CLIENT_CPU_PROF=<dir> writes V8 CPU profiles of the load-client processes there.
--stall: a run whose clients keep reporting but receive nothing for this long ends incomplete.
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
  const list = <T extends string>(name: string, allowed: readonly T[], byDefault: readonly T[] = allowed): T[] => {
    const raw = read(name);
    if (raw === undefined) return [...byDefault];
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) if (!allowed.includes(item as T)) throw new Error(`--${name}: "${item}" is not one of ${allowed.join(', ')}`);
    return items as T[];
  };
  const json = read('json') ?? defaultJson;
  const rooms = int('rooms', base.rooms);
  const roomsClients = int('rooms-clients', base.roomsClients, 2);
  if (roomsClients < 2 * rooms) throw new Error(`--rooms-clients (${roomsClients}) must be at least 2 × --rooms (${rooms}): every room has members on both replicas`);
  return {
    quick,
    clients: int('clients', base.clients, 2),
    messages: int('messages', base.messages),
    payloadBytes: int('payload', base.payloadBytes, 32),
    rate: int('rate', 0, 0),
    roomsClients,
    rooms,
    roomsRate: int('rooms-rate', base.roomsRate),
    roomsSeconds: int('rooms-seconds', base.roomsSeconds),
    idleClients: int('idle', base.idleClients),
    roomSize: int('room-size', base.roomSize),
    signalingPairs: int('signaling-pairs', base.signalingPairs),
    signalingRate: int('signaling-rate', 200, 0),
    signalingResumePeers: int('signaling-resume', base.signalingResumePeers),
    uplinkSamples: int('uplink-samples', base.uplinkSamples),
    clientProcesses: int('client-procs', 2),
    connectBatch: int('batch', 100),
    targets: list('targets', TARGETS),
    scenarios: list<Scenario>('scenarios', [...SCENARIOS, ...SCALE_SCENARIOS], SCENARIOS),
    profile: bool('profile'),
    profileDir: read('profile-dir') ?? '/tmp/switchboard-bench-prof',
    stallSeconds: int('stall', 5),
    deadlineSeconds: int('deadline', base.deadlineSeconds),
    json: json === 'none' ? '' : json,
    fillClients: int('fill', base.fillClients, 2),
    idleManyClients: int('idle-many', base.idleManyClients, 2),
    stormClients: int('storm', base.stormClients, 3),
    sources: int('sources', 4),
    connectWindow: int('window', 200),
    writeDelays: intList(read('write-delay') ?? '0,5', 'write-delay'),
  };
}

function intList(raw: string, name: string): number[] {
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < 0 || n > 1000)) throw new Error(`--${name} must be a list of integers 0…1000 (ms), got "${raw}"`);
  return items;
}
