import { USAGE, parseChaosArgs } from './chaos-options';

const seed = () => 4242;

describe('parseChaosArgs', () => {
  it('has defaults for everything, the seed drawn when not given', () => {
    expect(parseChaosArgs([], seed)).toEqual({
      kind: 'run',
      options: {
        kills: 20,
        seed: 4242,
        events: 1000,
        users: 100,
        redisRestarts: 1,
        brokerRestarts: 1,
        brokers: 1,
        partitions: 3,
        timeoutS: 1800,
        keep: false,
      },
    });
  });

  it('takes every option, in both --flag value and --flag=value forms', () => {
    const parsed = parseChaosArgs(
      [
        '--kills=3',
        '--seed',
        '7',
        '--events',
        '200',
        '--users=9',
        '--redis-restarts',
        '2',
        '--broker-restarts=0',
        '--brokers',
        '3',
        '--partitions',
        '2',
        '--timeout-s',
        '240',
        '--keep',
      ],
      seed,
    );
    expect(parsed).toEqual({
      kind: 'run',
      options: {
        kills: 3,
        seed: 7,
        events: 200,
        users: 9,
        redisRestarts: 2,
        brokerRestarts: 0,
        brokers: 3,
        partitions: 2,
        timeoutS: 240,
        keep: true,
      },
    });
  });

  it('derives the users from the events when not given', () => {
    expect(parseChaosArgs(['--events', '30'], seed)).toMatchObject({ options: { users: 5 } });
    expect(parseChaosArgs(['--events', '5000'], seed)).toMatchObject({ options: { users: 500 } });
  });

  it('answers --help, even next to other options', () => {
    expect(parseChaosArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseChaosArgs(['--kills', '2', '-h'])).toEqual({ kind: 'help' });
    expect(USAGE).toMatch(/--kills N.*default 20/);
  });

  it('rejects unknown flags, stray arguments and bad values with one clear line', () => {
    expect(parseChaosArgs(['--kils', '3'])).toEqual({ kind: 'error', message: 'unknown option --kils (see --help)' });
    expect(parseChaosArgs(['-x'])).toEqual({ kind: 'error', message: 'unknown option -x (see --help)' });
    expect(parseChaosArgs(['3'])).toEqual({
      kind: 'error',
      message: 'unexpected argument 3 (options only; see --help)',
    });
    expect(parseChaosArgs(['--kills'])).toEqual({ kind: 'error', message: '--kills needs a value (see --help)' });
    expect(parseChaosArgs(['--keep=yes'])).toEqual({ kind: 'error', message: '--keep takes no value (see --help)' });
    expect(parseChaosArgs(['--kills', 'many'])).toEqual({
      kind: 'error',
      message: '--kills: expected a whole number, got "many"',
    });
    expect(parseChaosArgs(['--events', '5'])).toEqual({
      kind: 'error',
      message: '--events: expected 10 to 200000, got "5"',
    });
    expect(parseChaosArgs(['--timeout-s', '-1'])).toMatchObject({ kind: 'error' });
    expect(parseChaosArgs(['--brokers', '2'])).toEqual({
      kind: 'error',
      message: '--brokers: expected 1 or 3, got "2"',
    });
    // An unknown flag is an error even when --help is there: a typo should not pass silently.
    expect(parseChaosArgs(['--help', '--nope'])).toMatchObject({ kind: 'error' });
  });
});
