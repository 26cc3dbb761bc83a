import { readRepoFile } from './files';

export interface Instruction { cmd: string; args: string; line: number }
export interface Stage { name?: string; from: string; instructions: Instruction[] }

/** Dockerfile → stages of instructions (line continuations joined, comments and parser directives dropped). */
export function parseDockerfile(text = readRepoFile('Dockerfile')): { args: Instruction[]; stages: Stage[] } {
  const lines = text.split('\n');
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    const start = i + 1;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i])) line += lines[i];
    }
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse "${line}"`);
    out.push({ cmd: m[1].toUpperCase(), args: m[2].trim().replace(/\s+/g, ' '), line: start });
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of out) {
    if (ins.cmd === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m![1], name: m![2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.cmd !== 'ARG') throw new Error(`Dockerfile line ${ins.line}: ${ins.cmd} before FROM`);
      args.push(ins);
    } else stages[stages.length - 1].instructions.push(ins);
  }
  return { args, stages };
}

/** `COPY [--from=x] [--chown=..] src... dest` → its sources, destination and --from. */
export function parseCopy(ins: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : ins.args.split(' ');
  let from: string | undefined;
  const rest: string[] = [];
  for (const w of words) {
    const f = /^--from=(.+)$/.exec(w);
    if (f) from = f[1];
    else if (!w.startsWith('--')) rest.push(w);
  }
  return { from, sources: rest.slice(0, -1), dest: rest[rest.length - 1] };
}

/** The exec-form array of CMD / ENTRYPOINT, or the shell form as one string. */
export function execForm(ins: Instruction | undefined): string[] | undefined {
  if (!ins) return undefined;
  return ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : ['/bin/sh', '-c', ins.args];
}

/**
 * `.dockerignore` as the Docker builder applies it: patterns relative to the context root,
 * `*` and `?` within one path segment, `**` across segments, `!` re-includes, the last
 * matching line wins, and a matched directory excludes everything under it.
 */
export function dockerignore(text = readRepoFile('.dockerignore')): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '*' && pattern[i + 1] === '*') {
          i++;
          if (pattern[i + 1] === '/') {
            i++;
            re += '(?:.*/)?';
          } else re += '.*';
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    return excluded;
  };
}
