import { Controller, Get, Header } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The profile explorer: one self-contained page (no external assets) that reads the read API from
 * the browser. It holds no data itself, so it needs no token; the API calls it makes do.
 */
@ApiTags('explorer')
@Controller('explorer')
export class ExplorerController {
  private readonly page = readFileSync(join(__dirname, '../assets/explorer.html'), 'utf8');

  @Get()
  @ApiProduces('text/html')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  get(): string {
    return this.page;
  }
}
