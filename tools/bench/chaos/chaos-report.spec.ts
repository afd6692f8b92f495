import { compareSnapshots } from '@profilestream/tools-runtime';
import { formatSummary, verdictProblems, type ChaosReport, type RunSummary } from './chaos-report';

function run(label: string, overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    label,
    prefix: `chaos-${label.toLowerCase()}.`,
    sent: { catalogue: 2, events: 3, retriedSends: 0 },
    faults: [],
    serviceEvents: [],
    drained: true,
    notDrainedReason: null,
    lagAtEnd: null,
    markerOnlyPartitions: 0,
    startupS: 3,
    processingS: 4,
    topics: { input: { 'reviews.v1': 1, 'clicks.v1': 2, 'items.v1': 2 }, deadLetters: {} },
    ...overrides,
  };
}

const expected = { 'reviews.v1': 1, 'clicks.v1': 2, 'items.v1': 2 };
const same = compareSnapshots(new Map([['u1', null]]), new Map([['u1', null]]));

describe('verdictProblems', () => {
  it('is empty when both runs drained, hold the input sent and agree', () => {
    expect(verdictProblems({ a: run('A'), b: run('B') }, same, expected)).toEqual([]);
  });

  it('names every reason to fail', () => {
    const b = run('B', {
      drained: false,
      notDrainedReason: 'lag 7: chaos-b.encoder 7',
      topics: { input: { 'reviews.v1': 2, 'clicks.v1': 2, 'items.v1': 2 }, deadLetters: {} },
      serviceEvents: [{ service: 'encoder', kind: 'idle-consumer-restart', at: 1 }],
    });
    const differing = {
      ...same,
      usersDiffering: 2,
      usersCompared: 9,
      erasedInOneRunOnly: 1,
      eventsLost: 5,
      eventsDoubleApplied: 1,
      eventCountDelta: -3,
      countsConsistent: false,
    };
    expect(verdictProblems({ a: run('A'), b }, differing, expected)).toEqual([
      'run B did not drain in time (lag 7: chaos-b.encoder 7)',
      'run B: encoder ready but not consuming until restarted by the harness (1×)',
      'run B: input topics hold 2 records on reviews.v1 for 1 sent',
      '2 of 9 users differ',
      '1 users erased in one run only',
      '5 events lost',
      '1 events double-applied',
      'counters and eventCount disagree: double-applied − lost = -4, Σ eventCount B − A = -3',
    ]);
  });
});

describe('formatSummary', () => {
  it('shows both runs side by side, the comparison and the verdict', () => {
    const report: ChaosReport = {
      startedAt: '',
      finishedAt: '',
      seconds: 61,
      options: {
        kills: 1,
        seed: 5,
        events: 3,
        users: 1,
        redisRestarts: 0,
        brokerRestarts: 0,
        brokers: 1,
        partitions: 3,
        timeoutS: 100,
        keep: false,
      },
      input: {
        users: 1,
        catalogue: 2,
        events: { review: 1, click: 2 },
        erasedUsers: 0,
        firstEventAt: 0,
        lastEventAt: 0,
      },
      ports: { kafka: 1, brokers: '127.0.0.1:1', redis: 2, services: {} },
      expectedInput: expected,
      runs: {
        a: run('A'),
        b: run('B', {
          faults: [{ fault: { kind: 'kill', service: 'encoder' }, afterEvents: 1, pauseMs: 0, atS: 1, recoveredS: 2 }],
        }),
      },
      comparison: same,
      verdict: { agree: true, problems: [] },
      kept: null,
    };
    const text = formatSummary(report);
    expect(text).toContain('chaos: seed 5; 1 users; 2 catalogue items, then 1 review, 2 click; 61 s in all');
    expect(text).toMatch(/faults\s+none\s+kill encoder ×1/);
    expect(text).toMatch(/users differing\s+0/);
    expect(text).toContain('verdict: the runs agree');
  });
});
