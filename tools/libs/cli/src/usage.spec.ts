/**
 * The command-line parsing every command shares (see usage.ts). That each command really answers
 * --help and refuses mistakes at once is checked by tools/ci/help.spec.ts, which runs them.
 */
import { CHECK_ARGS_FLAG, numberOption, parseCommandLine, usageErrorLine, UsageError } from './usage';

describe('parseCommandLine', () => {
  const spec = {
    command: 'npm run x',
    usage: 'Usage: x',
    options: { n: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } },
  } as const;

  it('answers --help and -h anywhere on a well-formed line, before the values are checked', () => {
    expect(parseCommandLine(spec, ['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(spec, ['--n', 'many', '-h'])).toEqual({ kind: 'help' });
  });

  it('reports a malformed line in one sentence, even next to --help', () => {
    expect(parseCommandLine(spec, ['--nope', '--help'])).toEqual({ kind: 'error', message: 'unknown option --nope' });
    expect(parseCommandLine(spec, ['stray'])).toEqual({ kind: 'error', message: 'unexpected argument "stray"' });
    expect(parseCommandLine(spec, ['--n'])).toEqual({ kind: 'error', message: '--n needs a value' });
    expect(parseCommandLine(spec, ['--n', '--keep'])).toEqual({ kind: 'error', message: '--n needs a value' });
    expect(parseCommandLine(spec, ['--keep=yes'])).toEqual({ kind: 'error', message: '--keep takes no value' });
  });

  it('returns the values, and whether only a check was asked for', () => {
    expect(parseCommandLine(spec, ['--n', '5'])).toEqual({
      kind: 'run',
      checkOnly: false,
      values: { n: '5', keep: false },
      positionals: [],
    });
    expect(parseCommandLine(spec, ['--keep', CHECK_ARGS_FLAG])).toEqual({
      kind: 'run',
      checkOnly: true,
      values: { n: '3', keep: true },
      positionals: [],
    });
    expect(parseCommandLine({ ...spec, positionals: true }, ['a', 'b'])).toMatchObject({
      kind: 'run',
      positionals: ['a', 'b'],
    });
  });

  it('points at --help unless the message already does', () => {
    expect(usageErrorLine('npm run x', 'unknown option --nope')).toBe(
      'error: unknown option --nope (see npm run x -- --help)',
    );
    expect(usageErrorLine('npm run chaos', 'unknown option --nope (see --help)')).toBe(
      'error: unknown option --nope (see --help)',
    );
  });

  it('checks number options', () => {
    expect(numberOption('--n', '12', { min: 1, whole: true })).toBe(12);
    expect(numberOption('--x', '0.5', { min: 0 })).toBe(0.5);
    expect(() => numberOption('--n', '1.5', { min: 1, whole: true })).toThrow(
      new UsageError('--n: expected a whole number ≥ 1, got "1.5"'),
    );
    expect(() => numberOption('--n', '', { whole: true })).toThrow(UsageError);
    expect(() => numberOption('--n', '9', { min: 0, max: 8 })).toThrow('--n: expected a number from 0 to 8, got "9"');
  });
});
