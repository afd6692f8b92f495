import { Module, type DynamicModule } from '@nestjs/common';
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
