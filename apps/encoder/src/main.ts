import { runService } from '@profilestream/observability';
import { AppModule } from './app.module';
import { loadEncoderConfig } from './config/encoder.config';

runService(() => loadEncoderConfig(), (config) => AppModule.forRoot(config));
