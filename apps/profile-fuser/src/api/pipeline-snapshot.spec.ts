import { bucketsOf, stageFrom } from './pipeline-snapshot';

const exposition = [
  '# HELP encoder_kafka_message_outcomes_total Records handled, by outcome.',
  '# TYPE encoder_kafka_message_outcomes_total counter',
  'encoder_kafka_message_outcomes_total{topic="texts.cleaned.v1",outcome="ok"} 40',
  'encoder_kafka_message_outcomes_total{topic="texts.cleaned.v1",outcome="dlq"} 2',
  'encoder_kafka_consumer_lag_messages{group="encoder",partition="0"} 3',
  'encoder_kafka_consumer_lag_messages{group="encoder",partition="1"} 4',
  'profile_fuser_event_to_profile_seconds_bucket{le="0.005",source="click"} 1',
  'profile_fuser_event_to_profile_seconds_bucket{le="0.5",source="click"} 6',
  'profile_fuser_event_to_profile_seconds_bucket{le="+Inf",source="click"} 8',
  'profile_fuser_event_to_profile_seconds_bucket{le="0.005",source="text"} 0',
  'profile_fuser_event_to_profile_seconds_bucket{le="0.5",source="text"} 2',
  'profile_fuser_event_to_profile_seconds_bucket{le="+Inf",source="text"} 2',
  'profile_fuser_event_to_profile_seconds_sum 1.5',
].join('\n');

describe('the pipeline snapshot of a /metrics page', () => {
  it('counts the records handled successfully and the lag over every partition', () => {
    expect(stageFrom('encoder', exposition)).toEqual({ name: 'encoder', ok: true, consumed: 40, lag: 7 });
  });

  it('sums histogram buckets over other labels, with +Inf spelled out for JSON', () => {
    expect(bucketsOf(exposition, 'profile_fuser_event_to_profile_seconds')).toEqual([
      { le: '0.005', count: 1 },
      { le: '0.5', count: 8 },
      { le: '+Inf', count: 10 },
    ]);
  });
});
