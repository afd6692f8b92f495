import { digestLog } from './log-digest';

describe('digestLog', () => {
  it('keeps distinct warnings and errors with their counts, most recent last, and skips the rest', () => {
    const log = [
      '----- chaos: start -----',
      JSON.stringify({ level: 'info', time: 't0', msg: 'started' }),
      JSON.stringify({ level: 'warn', time: 't1', msg: 'flush failed; retrying', err: { message: 'ECONNREFUSED' } }),
      'not json {',
      JSON.stringify({ level: 'error', time: 't2', msg: 'consumer crashed' }),
      JSON.stringify({ level: 'warn', time: 't3', msg: 'flush failed; retrying', err: { message: 'ECONNREFUSED' } }),
    ].join('\n');
    expect(digestLog(log)).toEqual([
      { level: 'error', msg: 'consumer crashed', count: 1, lastAt: 't2' },
      { level: 'warn', msg: 'flush failed; retrying: ECONNREFUSED', count: 2, lastAt: 't3' },
    ]);
    expect(digestLog(log, 1)).toEqual([
      { level: 'warn', msg: 'flush failed; retrying: ECONNREFUSED', count: 2, lastAt: 't3' },
    ]);
  });
});
