import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsService } from '@profilestream/observability';
import { FUSER_CONFIG } from '../fusion/profile-fuser.service';
import type { ProfileFuserConfig } from '../config/profile-fuser.config';
import { bucketsOf, stageFrom, type PipelineSnapshot, type StageSnapshot } from './pipeline-snapshot';

/**
 * The profile explorer: one self-contained page (no external assets) that reads the read API from
 * the browser. It holds no user data itself, so it needs no token; the API calls it makes do.
 */
@ApiTags('explorer')
@Controller('explorer')
export class ExplorerController {
  private readonly page = readFileSync(join(__dirname, '../assets/explorer.html'), 'utf8');

  constructor(
    private readonly metrics: MetricsService,
    @Inject(FUSER_CONFIG) private readonly config: ProfileFuserConfig,
  ) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @ApiProduces('text/html')
  get(): string {
    return this.page;
  }

  /** The live pipeline page's poll: each stage's consumed records and lag, and the fuser's latency histogram. */
  @Get('pipeline')
  @ApiOkResponse({
    description: 'Counters the page turns into rates; stages from FUSER_EXPLORER_STAGES plus the fuser.',
  })
  async pipeline(): Promise<PipelineSnapshot> {
    const own = await this.metrics.registry.metrics();
    const others = await Promise.all(this.config.explorerStages.map(({ name, url }) => this.stage(name, url)));
    return {
      at: Date.now(),
      stages: [...others, stageFrom('profile-fuser', own)],
      latency: bucketsOf(own, `${this.metrics.prefix}_event_to_profile_seconds`),
    };
  }

  private async stage(name: string, url: string): Promise<StageSnapshot> {
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(1500) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return stageFrom(name, await res.text());
    } catch (err) {
      return { name, ok: false, error: err instanceof Error ? err.message : String(err), consumed: 0, lag: 0 };
    }
  }
}
