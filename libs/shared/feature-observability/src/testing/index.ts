import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ObservabilityModule } from '../observability.module';

/**
 * An initialised app of ObservabilityModule alone, as service `svc` (metrics prefixed `svc_`), silent,
 * with health checks that time out after 100 ms so a hanging check fails a test quickly.
 */
export async function observabilityTestApp(): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ObservabilityModule.forRoot({
        serviceName: 'svc',
        metricsPrefix: 'svc',
        logLevel: 'silent',
        healthCheckTimeoutMs: 100,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}
