import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import type { Response } from 'express';
import { HealthRegistry } from './health.registry';
import { MetricsService } from './metrics.service';

@Controller()
export class ObservabilityController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly health: HealthRegistry,
  ) {}

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }

  /** 200 while the process can make progress; 503 tells the orchestrator to restart it. */
  @Get('health/live')
  async live(@Res() res: Response): Promise<void> {
    const report = await this.health.live();
    res.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }

  /** 200 when every dependency answers; 503 takes the instance out of rotation. */
  @Get('health/ready')
  async ready(@Res() res: Response): Promise<void> {
    const report = await this.health.ready();
    res.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }
}
