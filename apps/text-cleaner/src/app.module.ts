import { Module, type DynamicModule } from '@nestjs/common';
import { KAFKA_ACCESS, topicCatalog } from '@profilestream/contracts';
import { streamServiceImports } from '@profilestream/stream-service';
import { SERVICE_NAME, type TextCleanerConfig } from './config/text-cleaner.config';
import { TEXT_CLEANER_CONFIG, TextCleanerService } from './cleaning/text-cleaner.service';

@Module({})
export class AppModule {
  static forRoot(config: TextCleanerConfig): DynamicModule {
    const topics = topicCatalog(config.kafka.topicPrefix);
    return {
      module: AppModule,
      imports: streamServiceImports({
        serviceName: SERVICE_NAME,
        metricsPrefix: 'text_cleaner',
        ...config,
        topics: KAFKA_ACCESS[SERVICE_NAME].provisions.map((k) => topics[k]),
      }),
      providers: [{ provide: TEXT_CLEANER_CONFIG, useValue: config }, TextCleanerService],
    };
  }
}
