import { Module, type DynamicModule } from '@nestjs/common';
import { topicCatalog } from '@profilestream/contracts';
import { streamServiceImports } from '@profilestream/stream-service';
import { ProfilesController } from './api/profiles.controller';
import { SERVICE_NAME, type ProfileFuserConfig } from './config/profile-fuser.config';
import { FUSER_CONFIG, ProfileFuserService } from './fusion/profile-fuser.service';

@Module({})
export class AppModule {
  static forRoot(config: ProfileFuserConfig): DynamicModule {
    const topics = topicCatalog(config.kafka.topicPrefix);
    return {
      module: AppModule,
      imports: streamServiceImports({ serviceName: SERVICE_NAME, metricsPrefix: 'profile_fuser', ...config, topics: [topics.textsEmbedded, topics.clicks, topics.userDeletions, topics.profiles, topics.profilesChangelog] }),
      controllers: [ProfilesController],
      providers: [{ provide: FUSER_CONFIG, useValue: config }, ProfileFuserService],
    };
  }
}
