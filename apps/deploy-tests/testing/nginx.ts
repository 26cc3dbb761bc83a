import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { dirname, isAbsolute, join } from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** One nginx directive: `name args...;` or `name args... { block }`. */
export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/** Parses nginx configuration text (comments, quotes, blocks); `include` is kept as written. */
export function parseNginx(text: string): Directive[] {
  const tokens: Array<{ t: string; quoted: boolean }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
    else if (c === '{' || c === '}' || c === ';') tokens.push({ t: c, quoted: false }), i++;
    else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        s += text[j++];
      }
      if (j >= text.length) throw new Error('unterminated quote in nginx config');
      tokens.push({ t: s, quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;{}]/.test(text[j])) j++;
      // `{` inside a token (e.g. a regex quantifier) is not possible unquoted in nginx either.
      tokens.push({ t: text.slice(i, j), quoted: false });
      i = j;
    }
  }
  let p = 0;
  const parseBlock = (inner: boolean): Directive[] => {
    const out: Directive[] = [];
    while (p < tokens.length) {
      const tok = tokens[p];
      if (!tok.quoted && tok.t === '}') {
        if (!inner) throw new Error('unexpected } in nginx config');
        p++;
        return out;
      }
      const words: string[] = [];
      while (p < tokens.length && (tokens[p].quoted || !['{', '}', ';'].includes(tokens[p].t))) words.push(tokens[p++].t);
      const end = tokens[p++];
      if (end === undefined || words.length === 0) throw new Error(`malformed nginx directive near "${words.join(' ')}"`);
      if (end.t === ';') out.push({ name: words[0], args: words.slice(1) });
      else if (end.t === '{') out.push({ name: words[0], args: words.slice(1), block: parseBlock(true) });
      else throw new Error(`unexpected } after "${words.join(' ')}"`);
    }
    if (inner) throw new Error('missing } in nginx config');
    return out;
  };
  return parseBlock(false);
}

/** Parses a file, replacing `include` directives by the included file's directives (paths relative to the file's directory, as nginx -c resolves them). */
export function loadNginx(file: string): Directive[] {
  const base = dirname(file);
  const expand = (ds: Directive[]): Directive[] =>
    ds.flatMap((d) => {
      if (d.name === 'include') {
        const target = isAbsolute(d.args[0]) ? d.args[0] : join(base, d.args[0]);
        if (!existsSync(target)) throw new Error(`${file}: include ${d.args[0]} does not exist (${target})`);
        return expand(parseNginx(readFileSync(target, 'utf8')));
      }
      return [d.block ? { ...d, block: expand(d.block) } : d];
    });
  return expand(parseNginx(readFileSync(file, 'utf8')));
}

export const children = (ds: Directive[] | undefined, name: string) => (ds ?? []).filter((d) => d.name === name);
export const child = (ds: Directive[] | undefined, name: string) => children(ds, name)[0];

/** The location nginx picks for a URI path: exact, then longest prefix (`^~` stops), then regexes in order, then the longest prefix. */
export function matchLocation(server: Directive[], path: string): Directive | undefined {
  const locations = children(server, 'location');
  let longest: Directive | undefined;
  let longestLen = -1;
  for (const loc of locations) {
    const [mod, pattern] = loc.args.length === 2 ? loc.args : ['', loc.args[0]];
    if (mod === '=' && pattern === path) return loc;
    if ((mod === '' || mod === '^~') && path.startsWith(pattern) && pattern.length > longestLen) {
      longest = loc;
      longestLen = pattern.length;
    }
  }
  if (longest && longest.args[0] === '^~') return longest;
  for (const loc of locations) {
    const [mod, pattern] = loc.args.length === 2 ? loc.args : ['', loc.args[0]];
    if ((mod === '~' && new RegExp(pattern).test(path)) || (mod === '~*' && new RegExp(pattern, 'i').test(path))) return loc;
  }
  return longest;
}

/** `proxy_set_header` values of a location, by lower-cased header name. */
export function proxyHeaders(location: Directive): Record<string, string> {
  return Object.fromEntries(children(location.block, 'proxy_set_header').map((d) => [d.args[0].toLowerCase(), d.args[1]]));
}

/** nginx durations (`3600s`, `1h`, `60`) in ms. */
export function nginxDurationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  const re = /(\d+)(ms|s|m|h|d)?/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * units[m[2] ?? 's'];
    end = re.lastIndex;
  }
  if (end !== text.length || end === 0) throw new Error(`not an nginx duration: ${text}`);
  return total;
}

// --- running the committed configuration in a real nginx -------------------------------

export const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];

/** The nginx binary, or a clear error saying how to install it. */
export function nginxBinary(): string {
  const found = NGINX_CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || fail();
  } catch {
    return fail();
  }
  function fail(): never {
    throw new Error(
      'nginx is not installed: the edge test runs deploy/nginx/nginx.conf in a real nginx. ' +
        'Install it (Debian/Ubuntu: `apt-get install -y nginx`; the package is `nginx`) and run again.',
    );
  }
}

export interface EdgePorts {
  https: number;
  http: number;
  gateways: number[];
  api: number;
}

/**
 * deploy/nginx/nginx.conf with only its addresses changed for a test on loopback: the
 * compose service names in the upstreams become 127.0.0.1 ports, the listen ports become
 * free ones, the pid and temp files go into `dir`. Every rule (upstream policy, TLS, the
 * included routes) stays as committed. Throws when an expected line is missing, so a change
 * to nginx.conf cannot silently stop being tested.
 */
export function renderTestNginxConf(source: string, ports: EdgePorts, dir: string): string {
  let gatewayIndex = 0;
  const replaceOnce = (text: string, re: RegExp, by: string | ((...m: string[]) => string), what: string) => {
    let count = 0;
    const out = text.replace(re, (...m: string[]) => {
      count++;
      return typeof by === 'string' ? by : by(...m);
    });
    if (count === 0) throw new Error(`nginx.conf: no ${what} to rewrite for the test (${re})`);
    return out;
  };
  let conf = source;
  conf = replaceOnce(conf, /server\s+gateway-\d+:8080\b/g, () => {
    const port = ports.gateways[gatewayIndex++];
    if (port === undefined) throw new Error('nginx.conf lists more gateways than the test started');
    return `server 127.0.0.1:${port}`;
  }, 'gateway upstream servers');
  if (gatewayIndex !== ports.gateways.length) throw new Error(`nginx.conf lists ${gatewayIndex} gateways, the test started ${ports.gateways.length}`);
  conf = replaceOnce(conf, /server\s+api:8080\b/g, `server 127.0.0.1:${ports.api}`, 'api upstream server');
  conf = replaceOnce(conf, /listen\s+443\s+ssl\s*;/g, `listen 127.0.0.1:${ports.https} ssl;`, 'listen 443 ssl');
  conf = replaceOnce(conf, /listen\s+80\s*;/g, `listen 127.0.0.1:${ports.http};`, 'listen 80');
  conf = replaceOnce(conf, /^pid\s+[^;]+;/m, `pid ${join(dir, 'nginx.pid')};`, 'pid');
  // Node's stdio pipes are sockets, which /dev/stdout cannot be opened on: log to a file.
  conf = replaceOnce(conf, /access_log\s+\/dev\/stdout\b/g, `access_log ${join(dir, 'access.log')}`, 'access_log /dev/stdout');
  conf = replaceOnce(conf, /^worker_processes\s+[^;]+;/m, 'worker_processes 2;', 'worker_processes');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${join(dir, 'tmp', k)};`).join('\n');
  conf = replaceOnce(conf, /^http\s*\{/m, `http {\n${temp}`, 'http block');
  return conf;
}

/** A running nginx (master in the foreground), its output kept. */
export interface NginxProcess {
  proc: ChildProcess;
  logs: string[];
  stop(): Promise<void>;
}

export function checkNginxConf(bin: string, dir: string, conf: string): void {
  try {
    execFileSync(bin, ['-t', '-q', '-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'pipe', timeout: 10_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`nginx -t rejected the rendered deploy/nginx/nginx.conf:\n${e.stderr?.toString() ?? e.message}`);
  }
}

export function startNginx(bin: string, dir: string, conf: string): NginxProcess {
  const proc = spawn(bin, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const keep = (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // Last resort if the test process dies: SIGTERM makes the master stop its workers.
  const onExit = () => proc.kill('SIGTERM');
  process.once('exit', onExit);
  return {
    proc,
    logs,
    stop: async () => {
      process.off('exit', onExit);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const workers = childPids(proc.pid!);
      proc.kill('SIGTERM'); // fast shutdown: the master closes connections and stops its workers
      const timer = setTimeout(() => {
        for (const pid of [proc.pid!, ...workers]) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Direct children of a process (Linux /proc): nginx's workers. */
function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
