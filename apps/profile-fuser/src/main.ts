import { runService } from '@profilestream/observability';
import { serveOpenApi } from './api/openapi';
import { AppModule } from './app.module';
import { loadProfileFuserConfig } from './config/profile-fuser.config';

runService(() => loadProfileFuserConfig(), (config) => AppModule.forRoot(config), serveOpenApi);
