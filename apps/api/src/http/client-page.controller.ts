import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { findUp } from './find-up';

/** Seed 003's HTML test client, served at `/`. */
@ApiTags('operations')
@Controller()
export class ClientPageController {
  private page?: string;

  @Get()
  @ApiProduces('text/html')
  @ApiOkResponse({ description: "seed 003's HTML test client", schema: { type: 'string' } })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  index(): string {
    this.page ??= readFileSync(findUp(__dirname, join('apps', 'api', 'public', 'index.html')), 'utf8');
    return this.page;
  }
}
