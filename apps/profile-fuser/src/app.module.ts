import { Module, type DynamicModule } from '@nestjs/common';
import { KAFKA_ACCESS, topicCatalog } from '@profilestream/contracts';
import { streamServiceImports } from '@profilestream/stream-service';
import { ExplorerController } from './api/explorer.controller';
import { ProfilesController } from './api/profiles.controller';
import { INTERNAL_TOPICS, SERVICE_NAME, type ProfileFuserConfig } from './config/profile-fuser.config';
import { FUSER_CONFIG, ProfileFuserService } from './fusion/profile-fuser.service';

@Module({})
export class AppModule {
  static forRoot(config: ProfileFuserConfig): DynamicModule {
    const topics = topicCatalog(config.kafka.topicPrefix);
    return {
      module: AppModule,
      imports: streamServiceImports({
        serviceName: SERVICE_NAME,
        metricsPrefix: 'profile_fuser',
        ...config,
        topics: KAFKA_ACCESS[SERVICE_NAME].provisions.filter((k) => !INTERNAL_TOPICS.includes(k)).map((k) => topics[k]),
      }),
      controllers: [ProfilesController, ExplorerController],
      providers: [{ provide: FUSER_CONFIG, useValue: config }, ProfileFuserService],
    };
  }
}
