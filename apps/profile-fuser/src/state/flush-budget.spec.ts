import { FlushBudget, flushBytesOf } from './flush-budget';

describe('FlushBudget', () => {
  it('takes users until either the user or the byte limit is reached', () => {
    const byUsers = new FlushBudget(3, 1_000_000);
    let taken = 0;
    while (byUsers.open) {
      byUsers.take(100);
      taken++;
    }
    expect(taken).toBe(3);

    const byBytes = new FlushBudget(500, flushBytesOf(10_000) * 4);
    taken = 0;
    while (byBytes.open) {
      byBytes.take(flushBytesOf(10_000));
      taken++;
    }
    expect(taken).toBe(4);
  });

  it('always takes the first user, however large', () => {
    const budget = new FlushBudget(500, 1000);
    expect(budget.open).toBe(true);
    budget.take(50_000);
    expect(budget.open).toBe(false);
  });
});
