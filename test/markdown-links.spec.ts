import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * Every relative link in the repository's Markdown resolves: to a file or folder of the
 * repository (tracked, or new and not ignored, so a link to a git-ignored file that exists
 * only here fails too) and, for `#anchor` into a Markdown file, to one of its headings as
 * GitHub names them. Links out of the repository (`../` past its root) are broken even if
 * the target exists on this machine. Absolute URLs (`https:`, `mailto:`) are not checked.
 */
const ROOT = join(__dirname, '..');

/** The repository's files as git sees them, and every folder that holds one. */
interface Repo {
  files: Set<string>;
  dirs: Set<string>;
  read(path: string): string;
}

interface Broken {
  line: number;
  link: string;
  why: string;
}

function gitFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)));
}

function repoOf(files: string[]): Repo {
  const dirs = new Set<string>(['']);
  for (const file of files) {
    for (let dir = posix.dirname(file); dir !== '.'; dir = posix.dirname(dir)) dirs.add(dir);
  }
  return { files: new Set(files), dirs, read: (path) => readFileSync(join(ROOT, path), 'utf8') };
}

/**
 * GitHub's heading ids (github-slugger): the heading's text as rendered, lower-cased, every
 * character that is not a letter, digit, mark, `_`, `-` or space dropped, spaces → `-`; a
 * repeated id gets `-1`, `-2`, … in order. `<a id>`/`<a name>` anchors count as well.
 */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text, raw } of proseLines(markdown)) {
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(raw);
    if (!heading) continue;
    const rendered = heading[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/[`*]/g, '');
    const base = rendered.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The lines outside fenced code blocks: as written, and with inline code spans blanked out. */
function proseLines(markdown: string): Array<{ line: number; raw: string; text: string }> {
  const lines: Array<{ line: number; raw: string; text: string }> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, i) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(raw)?.[1];
    if (marker !== undefined && (fence === undefined || (marker[0] === fence[0] && marker.length >= fence.length))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence === undefined) lines.push({ line: i + 1, raw, text: raw.replace(/(`+)(?:(?!\1).)+?\1/g, (m) => ' '.repeat(m.length)) });
  });
  return lines;
}

/** Link targets: `[text](target)`, `![alt](target)`, `[ref]: target`, `href="…"`, `src="…"`. */
function linksOf(markdown: string): Array<{ line: number; link: string }> {
  const links: Array<{ line: number; link: string }> = [];
  for (const { line, text } of proseLines(markdown)) {
    for (const m of text.matchAll(/\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) links.push({ line, link: m[1].replace(/^<|>$/g, '') });
    const definition = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(text);
    if (definition) links.push({ line, link: definition[1].replace(/^<|>$/g, '') });
    for (const m of text.matchAll(/\b(?:href|src)="([^"]*)"/g)) links.push({ line, link: m[1] });
  }
  return links;
}

/** The links of `file` (a path from the repository root) that do not resolve, with why. */
function brokenLinks(file: string, markdown: string, repo: Repo): Broken[] {
  const broken: Broken[] = [];
  for (const { line, link } of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) continue;
    const why = whyBroken(file, link, markdown, repo);
    if (why !== undefined) broken.push({ line, link, why });
  }
  return broken;
}

function whyBroken(file: string, link: string, markdown: string, repo: Repo): string | undefined {
  if (link === '') return 'empty link';
  const hash = link.indexOf('#');
  const pathPart = (hash < 0 ? link : link.slice(0, hash)).replace(/\?.*$/, '');
  const anchor = hash < 0 ? undefined : link.slice(hash + 1);
  let target = file;
  if (pathPart !== '') {
    const decoded = decodeURIComponent(pathPart);
    const joined = decoded.startsWith('/') ? posix.normalize(decoded.slice(1)) : posix.join(posix.dirname(file), decoded);
    target = joined.replace(/\/$/, '') === '.' ? '' : joined.replace(/\/$/, '');
    if (target === '..' || target.startsWith('../')) return 'points outside the repository';
    if (!repo.files.has(target) && !repo.dirs.has(target)) return `no file or folder ${target || '.'} in the repository`;
  }
  if (anchor === undefined || !target.endsWith('.md') || (target !== file && !repo.files.has(target))) return undefined;
  const anchors = anchorsOf(target === file ? markdown : repo.read(target));
  return anchors.has(decodeURIComponent(anchor)) ? undefined : `no heading #${anchor} in ${target}`;
}

describe('markdown links', () => {
  const repo = repoOf(gitFiles());
  const markdown = [...repo.files].filter((f) => f.endsWith('.md')).sort();

  it('finds the repository’s Markdown (README.md, docs/, bench/README.md)', () => {
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'bench/README.md']));
    expect(markdown.some((f) => f.startsWith('docs/'))).toBe(true);
  });

  it.each(markdown)('every relative link in %s resolves', (file) => {
    const broken = brokenLinks(file, repo.read(file), repo).map((b) => `${file}:${b.line}: (${b.link}) ${b.why}`);
    expect(broken).toEqual([]);
  });

  it('reports a missing file, a missing heading and a way out of the repository, and ignores code', () => {
    const page = [
      '# Title',
      '## Large rooms: `user_list` & total',
      '## Large rooms: `user_list` & total',
      '[ok](#large-rooms-user_list--total-1) [ok](../README.md) [ok](/libs/client/) [ok](https://example.com/x)',
      '[gone](no-such-file.md) [bad anchor](#large-rooms)',
      '[out](../../shared/seeds/)',
      '[ref]: ./missing/',
      '`[code](nowhere.md)`',
      '```',
      '[fenced](nowhere.md)',
      '```',
    ].join('\n');
    const found = brokenLinks('docs/example.md', page, repo).map((b) => [b.line, b.link, b.why]);
    expect(found).toEqual([
      [5, 'no-such-file.md', 'no file or folder docs/no-such-file.md in the repository'],
      [5, '#large-rooms', 'no heading #large-rooms in docs/example.md'],
      [6, '../../shared/seeds/', 'points outside the repository'],
      [7, './missing/', 'no file or folder docs/missing in the repository'],
    ]);
  });
});
