import { serviceCommandLine, type ServiceUsage } from './bootstrap';

const usage: ServiceUsage = {
  name: 'encoder',
  summary: 'embeds texts.',
  variables: [
    { name: 'KAFKA_BROKERS', default: '127.0.0.1:9092', description: 'Bootstrap brokers.' },
    { name: 'REDIS_URL', default: '(required)', description: 'Redis.' },
  ],
};

describe('a service command line', () => {
  it('runs with no argument', () => {
    expect(serviceCommandLine([], usage)).toBe('run');
  });

  it('prints every variable with its default on --help, and nothing runs', () => {
    const printed: string[] = [];
    expect(serviceCommandLine(['--help'], usage, (t) => printed.push(t))).toBe('help');
    expect(serviceCommandLine(['-h'], usage, (t) => printed.push(t))).toBe('help');
    expect(printed[0]).toMatch(/^encoder: embeds texts\.\n\nUsage: node main\.js \[--help\]/);
    expect(printed[0]).toContain('  KAFKA_BROKERS  default 127.0.0.1:9092\n                 Bootstrap brokers.');
    expect(printed[0]).toContain('  REDIS_URL      required');
  });

  it('refuses any other argument in one line, even next to --help', () => {
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    try {
      expect(serviceCommandLine(['--help', '--port=1'], usage)).toBe('error');
    } finally {
      spy.mockRestore();
    }
    expect(errors).toEqual([
      'error: encoder takes no argument but --help; got "--port=1" (it is configured by environment variables)',
    ]);
  });
});
