import { loadEncoderConfig } from './encoder.config';

describe('encoder configuration', () => {
  it('boots with defaults: the default model, int8 weights, CPU', () => {
    const config = loadEncoderConfig({});
    expect(config.model).toEqual({ dir: '.cache/models/all-MiniLM-L6-v2', variant: 'int8', projectionFile: null });
    expect(config.inference).toMatchObject({ provider: 'cpu', intraOpThreads: 1, cpuTokenBudget: 512 });
    expect(config.inference.workers).toBeGreaterThan(0);
    expect(config.service.HTTP_PORT).toBe(8082);
  });

  it('fails at boot naming each bad variable', () => {
    expect(() => loadEncoderConfig({ ENCODER_EXECUTION_PROVIDER: 'tpu' })).toThrow(
      /ENCODER_EXECUTION_PROVIDER: must be one of cpu, cuda, auto/,
    );
    expect(() => loadEncoderConfig({ ENCODER_QUEUE_HIGH_WATER: '10', ENCODER_QUEUE_LOW_WATER: '10' })).toThrow(
      /ENCODER_QUEUE_LOW_WATER must be below/,
    );
  });
});
