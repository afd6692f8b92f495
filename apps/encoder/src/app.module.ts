import { Module, type DynamicModule } from '@nestjs/common';
import { KAFKA_ACCESS, topicCatalog } from '@profilestream/contracts';
import { streamServiceImports } from '@profilestream/stream-service';
import { SERVICE_NAME, type EncoderConfig } from './config/encoder.config';
import { ENCODER_CONFIG, EncoderService } from './encoding/encoder.service';

@Module({})
export class AppModule {
  static forRoot(config: EncoderConfig): DynamicModule {
    const topics = topicCatalog(config.kafka.topicPrefix);
    return {
      module: AppModule,
      imports: streamServiceImports({
        serviceName: SERVICE_NAME,
        metricsPrefix: 'encoder',
        ...config,
        topics: KAFKA_ACCESS[SERVICE_NAME].provisions.map((k) => topics[k]),
      }),
      providers: [{ provide: ENCODER_CONFIG, useValue: config }, EncoderService],
    };
  }
}
