import { streamServiceUsage } from '@profilestream/config';
import { fuserEnv } from '@profilestream/profile-fuser-config';
import { runService } from '@profilestream/observability';
import { serveOpenApi } from './api/openapi';
import { AppModule } from './app.module';
import { loadProfileFuserConfig } from './config/profile-fuser.config';

runService(
  streamServiceUsage(fuserEnv),
  () => loadProfileFuserConfig(),
  (config) => AppModule.forRoot(config),
  serveOpenApi,
);
