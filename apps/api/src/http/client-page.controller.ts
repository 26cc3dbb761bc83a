import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { findUp } from './find-up';

/** Seed 003's HTML test client, served at `/`, with a CSP that allows only its own inline script and style. */
@ApiTags('operations')
@Controller()
export class ClientPageController {
  private page?: { html: string; csp: string };

  @Get()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: "seed 003's HTML test client", schema: { type: 'string' } })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  index(@Res({ passthrough: true }) res: Response): string {
    this.page ??= withPolicy(readFileSync(findUp(__dirname, join('apps', 'api', 'public', 'index.html')), 'utf8'));
    res.setHeader('Content-Security-Policy', this.page.csp);
    return this.page.html;
  }
}

/** The page and a CSP naming the hashes of its inline `<script>` and `<style>` blocks. */
function withPolicy(html: string): { html: string; csp: string } {
  const hashes = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`).join(' ');
  const csp = [
    "default-src 'none'",
    `script-src ${hashes('script')}`,
    `style-src ${hashes('style')}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
