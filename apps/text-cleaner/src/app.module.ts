import { Module, type DynamicModule } from '@nestjs/common';
import { topicCatalog } from '@profilestream/contracts';
import { ObservabilityModule } from '@profilestream/observability';
import { StreamServiceModule } from '@profilestream/stream-service';
import { SERVICE_NAME, type TextCleanerConfig } from './config/text-cleaner.config';
import { TEXT_CLEANER_CONFIG, TextCleanerService } from './cleaning/text-cleaner.service';

@Module({})
export class AppModule {
  static forRoot(config: TextCleanerConfig): DynamicModule {
    const topics = topicCatalog(config.kafka.topicPrefix);
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot({
          serviceName: SERVICE_NAME,
          metricsPrefix: 'text_cleaner',
          logLevel: config.service.LOG_LEVEL,
          healthCheckTimeoutMs: config.service.HEALTH_CHECK_TIMEOUT_MS,
        }),
        StreamServiceModule.forRoot({
          serviceName: SERVICE_NAME,
          kafka: config.kafka,
          redis: config.redis,
          topics: [topics.reviews, topics.posts, topics.items, topics.textsCleaned],
        }),
      ],
      providers: [{ provide: TEXT_CLEANER_CONFIG, useValue: config }, TextCleanerService],
    };
  }
}
