import { Module, type DynamicModule } from '@nestjs/common';
import { topicCatalog } from '@profilestream/contracts';
import { ObservabilityModule } from '@profilestream/observability';
import { StreamServiceModule } from '@profilestream/stream-service';
import { SERVICE_NAME, type EncoderConfig } from './config/encoder.config';
import { ENCODER_CONFIG, EncoderService } from './encoding/encoder.service';

@Module({})
export class AppModule {
  static forRoot(config: EncoderConfig): DynamicModule {
    const topics = topicCatalog(config.kafka.topicPrefix);
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({
          serviceName: SERVICE_NAME,
          metricsPrefix: 'encoder',
          logLevel: config.service.LOG_LEVEL,
          healthCheckTimeoutMs: config.service.HEALTH_CHECK_TIMEOUT_MS,
        }),
        StreamServiceModule.forRoot({ serviceName: SERVICE_NAME, kafka: config.kafka, redis: config.redis, topics: [topics.textsCleaned, topics.textsEmbedded] }),
      ],
      providers: [{ provide: ENCODER_CONFIG, useValue: config }, EncoderService],
    };
  }
}
