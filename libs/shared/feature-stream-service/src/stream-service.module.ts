import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@profilestream/observability';
import { StreamRuntime } from './stream-runtime';
import { STREAM_SERVICE_OPTIONS, type StreamServiceOptions } from './stream-service.options';

/** Kafka and Redis for one stream service; needs ObservabilityModule in the same application. */
@Module({})
export class StreamServiceModule {
  static forRoot(options: StreamServiceOptions): DynamicModule {
    return {
      module: StreamServiceModule,
      global: true,
      providers: [{ provide: STREAM_SERVICE_OPTIONS, useValue: options }, StreamRuntime],
      exports: [StreamRuntime],
    };
  }
}

/** The modules every stream service's root module imports: observability plus the Kafka/Redis runtime. */
export function streamServiceImports(
  options: Omit<StreamServiceOptions, 'consumerStartTimeoutMs'> & {
    metricsPrefix: string;
    service: { LOG_LEVEL: string; HEALTH_CHECK_TIMEOUT_MS: number; CONSUMER_START_TIMEOUT_MS: number };
  },
): DynamicModule[] {
  return [
    ObservabilityModule.forRoot({
      serviceName: options.serviceName,
      metricsPrefix: options.metricsPrefix,
      logLevel: options.service.LOG_LEVEL,
      healthCheckTimeoutMs: options.service.HEALTH_CHECK_TIMEOUT_MS,
    }),
    StreamServiceModule.forRoot({
      serviceName: options.serviceName,
      kafka: options.kafka,
      redis: options.redis,
      topics: options.topics,
      consumerStartTimeoutMs: options.service.CONSUMER_START_TIMEOUT_MS,
    }),
  ];
}
