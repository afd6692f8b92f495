import { etaSeconds } from './migrate.lib';

describe('etaSeconds', () => {
  const at = (consumed: number, lag: number) => ({ groupId: 'g', consumed, lag });

  it('is what is left at the pace between two readings', () => {
    expect(etaSeconds(at(100, 900), at(200, 800), 10_000)).toBe(80);
  });

  it('is unknown when nothing was consumed in between, and 0 once caught up', () => {
    expect(etaSeconds(at(100, 900), at(100, 950), 5_000)).toBeNull();
    expect(etaSeconds(at(100, 0), at(100, 0), 5_000)).toBe(0);
  });

  it('counts records that arrived meanwhile as still to do', () => {
    // 100 consumed in 10 s while 50 arrived: 850 left at 10/s.
    expect(etaSeconds(at(100, 800), at(200, 850), 10_000)).toBe(85);
  });
});
