import { runService } from '@profilestream/observability';
import { AppModule } from './app.module';
import { loadTextCleanerConfig } from './config/text-cleaner.config';

runService(() => loadTextCleanerConfig(), (config) => AppModule.forRoot(config));
