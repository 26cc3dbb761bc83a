import { createInterface } from 'node:readline';
import { PeerManager, SignalingClient } from '../node';

const USAGE = `usage: switchboard-peer --url wss://host/signaling (--api-key KEY | --token JWT) (--create | --join ROOM_ID) [--stun URL]

Joins a signaling room, opens a WebRTC data channel to every peer in it, sends each line
of stdin to every open peer, and prints what arrives as "<peer id>: <text>". Lines read
before the first peer opened go to every peer as it opens, once and in order.
Status lines start with "# ".`;

interface Args {
  url: string;
  apiKey?: string;
  token?: string;
  create: boolean;
  join?: number;
  stun: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> & { stun: string[] } = { stun: [], create: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--url':
        args.url = value();
        break;
      case '--api-key':
        args.apiKey = value();
        break;
      case '--token':
        args.token = value();
        break;
      case '--create':
        args.create = true;
        break;
      case '--join': {
        const id = Number(value());
        if (!Number.isSafeInteger(id) || id <= 0) fail('--join needs a room id (a positive integer)');
        args.join = id;
        break;
      }
      case '--stun':
        args.stun.push(value());
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      default:
        fail(`unknown argument ${flag}`);
    }
  }
  if (!args.url) fail('--url is required');
  if (!args.apiKey && !args.token) fail('--api-key (or --token) is required');
  if (args.create === (args.join !== undefined)) fail('give exactly one of --create and --join ROOM_ID');
  return args as Args;
}

function fail(message: string): never {
  process.stderr.write(`switchboard-peer: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const credentials = args.apiKey ? { apiKey: args.apiKey } : { token: args.token! };
  const client = await SignalingClient.connect(args.url, credentials);
  const peers = new PeerManager(client, { iceServers: args.stun.map((urls) => ({ urls })) });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`# client ${client.clientId}`);

  // Lines typed before the first peer opened: every peer gets them, once, as it opens.
  const early: string[] = [];
  let anyOpened = false;
  const send = (id: number, line: string) => peers.sendDataToPeer(id, new TextEncoder().encode(line));
  peers.on('open', (id) => {
    anyOpened = true;
    say(`# open ${id}`);
    for (const line of early) send(id, line);
  });
  peers.on('close', (id) => say(`# closed ${id}`));
  peers.on('data', ({ from, data }) => say(`${from}: ${new TextDecoder().decode(data)}`));
  peers.on('error', (err) => process.stderr.write(`switchboard-peer: ${err.message}\n`));
  client.on('error', (err) => process.stderr.write(`switchboard-peer: ${err.message}\n`));
  client.on('close', ({ code, reason }) => {
    say(`# disconnected ${code} ${reason}`);
    process.exit(code === 1000 ? 0 : 1);
  });

  if (args.create) say(`# room ${await client.createRoom()}`);
  else say(`# joined ${args.join} peers ${(await client.joinRoom(args.join!)).join(',')}`);

  createInterface({ input: process.stdin }).on('line', (line) => {
    if (!anyOpened) early.push(line);
    for (const id of peers.openPeers) send(id, line);
  });
  const stop = () => {
    peers.close();
    client.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`switchboard-peer: ${err.message}\n`);
  process.exit(1);
});
