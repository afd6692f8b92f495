import { streamServiceUsage } from '@profilestream/config';
import { textCleanerEnv } from '@profilestream/text-cleaner-config';
import { runService } from '@profilestream/observability';
import { AppModule } from './app.module';
import { loadTextCleanerConfig } from './config/text-cleaner.config';

runService(
  streamServiceUsage(textCleanerEnv),
  () => loadTextCleanerConfig(),
  (config) => AppModule.forRoot(config),
);
