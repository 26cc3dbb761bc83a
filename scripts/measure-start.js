#!/usr/bin/env node
// Start-up figures (bench/results/HISTORY.md, "Start-up time and memory"):
//   DATA_DIR=/tmp/sb-measure node scripts/measure-start.js "npm start" npm start
// Starts the command (PORT=0), and prints the time to the line saying where it listens, the
// time until /health/ready answers 200, and the server process's RSS after IDLE_MS (5 s) idle.
const { spawn } = require('node:child_process');
const { readdirSync, readFileSync } = require('node:fs');

const [label, cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('usage: node scripts/measure-start.js <label> <command> [args...]\n');
  process.exit(2);
}
const idleMs = Number(process.env.IDLE_MS ?? 5000);
const t0 = Date.now();
const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: '0', HOST: '127.0.0.1' } });
let output = '';
let port;
let listening;
const onData = (chunk) => {
  output += chunk;
  const line = /\{[^\n]*listening[^\n]*\}/.exec(output)?.[0];
  if (line && port === undefined) {
    port = JSON.parse(line).port;
    listening = Date.now() - t0;
    void measure();
  }
};
child.stdout.on('data', onData);
child.stderr.on('data', onData);
child.on('exit', (code) => {
  if (port === undefined) {
    process.stderr.write(`${label}: exited with ${code} before listening\n${output}`);
    process.exit(1);
  }
});

/** The process in the command's tree that runs a dist/apps/<app>/main.js. */
function serverPid(root) {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const inTree = (pid) => pid === root || (parent.has(pid) && pid > 1 && inTree(parent.get(pid)));
  return [...parent.keys()].find((pid) => {
    if (!inTree(pid)) return false;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /node$/.test(argv[0]) && argv.some((a) => /apps\/\w+\/main\.js$/.test(a));
  });
}

async function measure() {
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, () => 0);
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ready = Date.now() - t0;
  await new Promise((r) => setTimeout(r, idleMs));
  const pid = serverPid(child.pid);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  process.stdout.write(`${label}: listening ${listening} ms, ready ${ready} ms, idle RSS ${Math.round(rssKb / 1024)} MB\n`);
  process.kill(-child.pid, 'SIGTERM');
  setTimeout(() => process.exit(0), 1500).unref();
}
