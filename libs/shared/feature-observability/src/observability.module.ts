import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { HealthRegistry } from './health.registry';
import { createLogger } from './logger';
import { MetricsService } from './metrics.service';
import { ObservabilityController } from './observability.controller';
import { OBSERVABILITY_OPTIONS, SERVICE_LOGGER, type ObservabilityOptions } from './observability.options';

/** Metrics, health endpoints and structured logging for one service; import once in its root module. */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const logger = createLogger(options.serviceName, options.logLevel);
    return {
      module: ObservabilityModule,
      global: true,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false, quietReqLogger: true } })],
      controllers: [ObservabilityController],
      providers: [
        { provide: OBSERVABILITY_OPTIONS, useValue: options },
        { provide: SERVICE_LOGGER, useValue: logger },
        MetricsService,
        HealthRegistry,
      ],
      exports: [OBSERVABILITY_OPTIONS, SERVICE_LOGGER, MetricsService, HealthRegistry, LoggerModule],
    };
  }
}
