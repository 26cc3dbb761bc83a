import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';

/** Seed 003's HTML test client, served at `/`. */
@Controller()
export class ClientPageController {
  private page?: string;

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  index(): string {
    this.page ??= readFileSync(findUp(__dirname, join('apps', 'api', 'public', 'index.html')), 'utf8');
    return this.page;
  }
}

/** The file at `relative` under the nearest ancestor that has it (works from src/ and dist/). */
function findUp(from: string, relative: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${from}`);
  }
}
