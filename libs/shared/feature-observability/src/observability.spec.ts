import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { HealthRegistry, MetricsService, createLogger } from './index';
import { observabilityTestApp } from './testing';

describe('ObservabilityModule', () => {
  let app: INestApplication;
  let health: HealthRegistry;

  beforeEach(async () => {
    app = await observabilityTestApp();
    health = app.get(HealthRegistry);
  });

  afterEach(() => app.close());

  it('serves the service registry in the Prometheus text format', async () => {
    app.get(MetricsService).registry.getSingleMetric('svc_process_cpu_seconds_total');
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^# TYPE svc_process_cpu_seconds_total counter$/m);
  });

  it('is ready only when every dependency answers in time, and says which one failed', async () => {
    health.addReadinessCheck('kafka', async () => ({ brokers: 1 }));
    await request(app.getHttpServer())
      .get('/health/ready')
      .expect(200)
      .expect((res) => expect(res.body.checks.kafka).toMatchObject({ status: 'up', details: { brokers: 1 } }));

    health.addReadinessCheck('redis', () => new Promise(() => undefined));
    health.addReadinessCheck('model', async () => {
      throw new Error('model not loaded');
    });
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.body.status).toBe('error');
    expect(res.body.checks.redis).toMatchObject({ status: 'down', error: 'timed out after 100 ms' });
    expect(res.body.checks.model).toMatchObject({ status: 'down', error: 'model not loaded' });
    const metrics = await request(app.getHttpServer()).get('/metrics');
    expect(metrics.text).toMatch(/^svc_health_check_up\{check="kafka"\} 1$/m);
    expect(metrics.text).toMatch(/^svc_health_check_up\{check="redis"\} 0$/m);
  });

  it('reports liveness separately from readiness', async () => {
    health.addReadinessCheck('redis', async () => {
      throw new Error('down');
    });
    await request(app.getHttpServer()).get('/health/live').expect(200);
    health.addLivenessCheck('consumer', async () => {
      throw new Error('consumer crashed');
    });
    const res = await request(app.getHttpServer()).get('/health/live').expect(503);
    expect(res.body.checks.consumer.error).toBe('consumer crashed');
  });
});

describe('createLogger', () => {
  it('redacts texts, payloads and credentials wherever they appear', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('svc', 'info', sink);
    log.info(
      { text: 'call me at alice@example.com', event: { text: 'secret text', eventId: 'e1' }, sasl: { password: 'p' } },
      'cleaned',
    );
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      service: 'svc',
      level: 'info',
      msg: 'cleaned',
      text: '[redacted]',
      event: { text: '[redacted]', eventId: 'e1' },
      sasl: '[redacted]',
    });
    expect(lines[0]).not.toContain('alice@example.com');
  });

  it('redacts at any depth, in arrays too, without changing the logged object', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('svc', 'info', sink);
    const logged = {
      batch: {
        records: [{ eventId: 'e1', text: 'mail bob@example.com' }],
        meta: { producer: { sasl: { password: 'hunter2' } } },
      },
      count: 1,
    };
    log.warn(logged, 'deep');
    const line = JSON.parse(lines[0]!);
    expect(line.batch.records[0]).toEqual({ eventId: 'e1', text: '[redacted]' });
    expect(line.batch.meta.producer.sasl).toBe('[redacted]');
    expect(line.count).toBe(1);
    expect(lines[0]).not.toMatch(/bob@example\.com|hunter2/);
    expect(logged.batch.records[0]!.text).toBe('mail bob@example.com');
  });
});
