import { streamServiceUsage } from '@profilestream/config';
import { encoderEnv } from '@profilestream/encoder-config';
import { runService } from '@profilestream/observability';
import { AppModule } from './app.module';
import { loadEncoderConfig } from './config/encoder.config';

runService(
  streamServiceUsage(encoderEnv),
  () => loadEncoderConfig(),
  (config) => AppModule.forRoot(config),
);
