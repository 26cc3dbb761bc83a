#!/usr/bin/env node
// Start-up figures (bench/results/HISTORY.md, "Start-up time and memory"). Two ways:
//
//   node scripts/measure-start.js --fresh-clone [--later N] [--commit REV]
//     Clones this repository's HEAD (or REV, to compare) into a temporary directory, gives it this checkout's
//     node_modules (a symlink: what `npm install` would put there for the same lockfile), then
//     runs `npm start` there once on the fresh clone (no dist/, no database: it builds, creates
//     the database) and N more times (default 3) with nothing changed, and prints a table.
//
//   DATA_DIR=/tmp/sb-measure node scripts/measure-start.js "npm start" npm start
//     Measures one start of the given command, in this directory.
//
// Each start runs with PORT=0; it prints the time to the line saying where it listens, the time
// until /health/ready answers 200, the CPU time the command's processes had used by then (npm,
// the build, the server, its child processes: on a busy machine wall time stretches, CPU time
// much less), and the server process's RSS after IDLE_MS (5 s) idle.
const { execFileSync, spawn } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } = require('node:fs');
const { loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');

const idleMs = Number(process.env.IDLE_MS ?? 5000);
const TICKS_PER_S = 100; // USER_HZ on Linux: /proc/<pid>/stat counts CPU time in these

/** Every live process: pid -> { parent, cpu ticks of itself and its waited-for children }. */
function processes() {
  const found = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[1]: ppid; [11..14]: utime, stime, cutime, cstime
      found.set(Number(pid), { parent: Number(fields[1]), ticks: fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) });
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

/** The pids in the tree under `root`, root included. */
function tree(root, all = processes()) {
  const inTree = (pid) => pid === root || (all.has(pid) && pid > 1 && inTree(all.get(pid).parent));
  return [...all.keys()].filter(inTree);
}

/** The process in the tree that runs the server: a dist/apps/<app>/main.js, or scripts/start.js (`npm start`). */
function serverPid(root) {
  return tree(root).find((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return /node$/.test(argv[0]) && argv.some((a) => /(apps\/\w+\/main|scripts\/start)\.js$/.test(a));
    } catch {
      return false;
    }
  });
}

/** CPU seconds of the tree: each live process, with the children it has waited for. */
function cpuSeconds(root) {
  const all = processes();
  return tree(root, all).reduce((sum, pid) => sum + all.get(pid).ticks, 0) / TICKS_PER_S;
}

/** Starts `cmd`, measures it, stops it; resolves with { listeningMs, readyMs, cpuS, rssMb }. */
function measure(label, cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env, PORT: '0', HOST: '127.0.0.1' } });
    let output = '';
    let port;
    let result;
    const onData = (chunk) => {
      output += chunk;
      const line = /\{[^\n]*listening[^\n]*\}/.exec(output)?.[0];
      if (line && port === undefined) {
        port = JSON.parse(line).port;
        const listeningMs = Date.now() - t0;
        whenReady(port).then(async () => {
          const readyMs = Date.now() - t0;
          const cpuS = cpuSeconds(child.pid);
          await new Promise((r) => setTimeout(r, idleMs));
          const server = serverPid(child.pid);
          const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server}/status`, 'utf8'))[1]);
          result = { label, listeningMs, readyMs, cpuS, rssMb: Math.round(rssKb / 1024), server };
          process.kill(-child.pid, 'SIGTERM');
        }).catch((err) => {
          process.kill(-child.pid, 'SIGKILL');
          reject(new Error(`${label}: ${err.message}`));
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', async (code) => {
      if (!result) return reject(new Error(`${label}: exited with ${code} before it was ready\n${output}`));
      // The next start must not find this server still closing its database.
      while (processes().has(result.server)) await new Promise((r) => setTimeout(r, 20));
      resolve(result);
    });
  });
}

/** Polls /health/ready until 200; rejects after READY_TIMEOUT_MS (120 s) saying what it last answered. */
async function whenReady(port) {
  const deadline = Date.now() + Number(process.env.READY_TIMEOUT_MS ?? 120_000);
  let last;
  for (;;) {
    last = await fetch(`http://127.0.0.1:${port}/health/ready`).then(async (r) => `${r.status} ${await r.text()}`, (err) => err.message);
    if (last.startsWith('200 ')) return;
    if (Date.now() > deadline) throw new Error(`not ready within READY_TIMEOUT_MS; /health/ready last answered: ${last}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const line = (r) => `| ${r.label} | ${(r.listeningMs / 1000).toFixed(1)} s | ${(r.readyMs / 1000).toFixed(1)} s | ${r.cpuS.toFixed(1)} s | ${r.rssMb} MB |`;

async function freshClone(later, commit) {
  const root = join(__dirname, '..');
  const dir = mkdtempSync(join(tmpdir(), 'sb-fresh-clone-'));
  try {
    const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', commit], { encoding: 'utf8' }).trim();
    execFileSync('git', ['clone', '--quiet', root, join(dir, 'repo')]);
    execFileSync('git', ['-C', join(dir, 'repo'), 'checkout', '--quiet', head]);
    symlinkSync(join(root, 'node_modules'), join(dir, 'repo', 'node_modules'));
    const load = () => loadavg()[0].toFixed(1);
    process.stdout.write(`commit ${head}, ${readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d)).length} cores, load average ${load()} at the start\n\n`);
    process.stdout.write('| `npm start` | listening | ready | CPU to ready | idle RSS |\n| --- | --- | --- | --- | --- |\n');
    const rows = [await measure('first, fresh clone (builds dist/, creates the database)', 'npm', ['start'], { cwd: join(dir, 'repo') })];
    process.stdout.write(`${line(rows[0])}\n`);
    for (let i = 1; i <= later; i++) {
      rows.push(await measure(`later (${i}), nothing changed`, 'npm', ['start'], { cwd: join(dir, 'repo') }));
      process.stdout.write(`${line(rows[i])}\n`);
    }
    process.stdout.write(`\nload average ${load()} at the end\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--fresh-clone') {
  const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const later = Number(option('--later', '3'));
  if (!Number.isInteger(later) || later < 0) {
    process.stderr.write(`--later takes a whole number of later starts, not ${option('--later')}\n`);
    process.exit(2);
  }
  freshClone(later, option('--commit', 'HEAD')).catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
} else if (argv.length >= 2) {
  measure(argv[0], argv[1], argv.slice(2)).then(
    (r) => process.stdout.write(`${r.label}: listening ${r.listeningMs} ms, ready ${r.readyMs} ms, CPU to ready ${r.cpuS.toFixed(1)} s, idle RSS ${r.rssMb} MB\n`),
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
} else {
  process.stderr.write('usage: node scripts/measure-start.js --fresh-clone [--later N] [--commit REV]\n       node scripts/measure-start.js <label> <command> [args...]\n');
  process.exit(2);
}
