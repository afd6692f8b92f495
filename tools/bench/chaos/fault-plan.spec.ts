import { describeFaults, planFaults } from './fault-plan';

describe('planFaults', () => {
  const options = { events: 500, kills: 20, redisRestarts: 1, brokerRestarts: 1, seed: 11 };

  it('plans every fault once, between slices that add up to the input', () => {
    const plan = planFaults(options);
    expect(plan.steps).toHaveLength(22);
    expect(describeFaults(plan.steps.map((s) => s.fault))).toMatchObject({ 'redis-restart': 1, 'broker-restart': 1 });
    const kills = plan.steps.filter((s) => s.fault.kind === 'kill').length;
    expect(kills).toBe(20);
    expect(plan.steps.reduce((n, s) => n + s.send, 0) + plan.tail).toBe(500);
    for (const s of plan.steps) {
      expect(s.send).toBeGreaterThanOrEqual(0);
      expect(s.pauseMs).toBeGreaterThanOrEqual(0);
      expect(s.pauseMs).toBeLessThanOrEqual(3000);
    }
    // Some events always flow before the first fault, and the faults are spread over the input.
    expect(plan.steps[0]!.send).toBeGreaterThan(0);
    expect(plan.tail).toBeLessThan(500);
  });

  it('is the same plan for the same seed and another for another seed', () => {
    expect(planFaults(options)).toEqual(planFaults(options));
    expect(planFaults({ ...options, seed: 12 })).not.toEqual(planFaults(options));
  });

  it('kills every service over a long enough plan', () => {
    const services = new Set(
      planFaults(options).steps.flatMap((s) => (s.fault.kind === 'kill' ? [s.fault.service] : [])),
    );
    expect([...services].sort()).toEqual(['encoder', 'profile-fuser', 'text-cleaner']);
  });

  it('sends everything at once when there is nothing to inject', () => {
    expect(planFaults({ ...options, kills: 0, redisRestarts: 0, brokerRestarts: 0 })).toEqual({ steps: [], tail: 500 });
  });
});
