import { KAFKA_ACCESS, kafkaAclRules, kafkaUserName } from './kafka-access';
import { DEAD_LETTERED_TOPICS, TOPICS } from './topics';

describe('kafkaAclRules', () => {
  it('gives the encoder its input, the erasure requests, its output, its dead letters, and its group and transactional-id prefixes', () => {
    expect(kafkaAclRules(KAFKA_ACCESS.encoder, { topicPrefix: '', provisionTopics: false })).toEqual([
      { type: 'group', name: 'encoder', patternType: 'prefix', operations: ['Read', 'Describe'] },
      { type: 'topic', name: 'texts.cleaned.v1', patternType: 'literal', operations: ['Read', 'Describe'] },
      { type: 'topic', name: 'texts.cleaned.v1.dlq', patternType: 'literal', operations: ['Write', 'Describe'] },
      { type: 'topic', name: 'texts.embedded.v1', patternType: 'literal', operations: ['Write', 'Describe'] },
      { type: 'topic', name: 'user-deletions.v1', patternType: 'literal', operations: ['Read', 'Describe'] },
      { type: 'transactionalId', name: 'encoder', patternType: 'prefix', operations: ['Write', 'Describe'] },
    ]);
  });

  it('puts the deployment prefix on topics, groups and transactional ids', () => {
    const rules = kafkaAclRules(KAFKA_ACCESS['text-cleaner'], { topicPrefix: 'staging.', provisionTopics: false });
    expect(rules.every((r) => r.name.startsWith('staging.'))).toBe(true);
  });

  it('grants Create only with provisioning, on the provisioned topics and the dead-letter topics they have', () => {
    const without = kafkaAclRules(KAFKA_ACCESS['profile-fuser'], { topicPrefix: '', provisionTopics: false });
    expect(without.some((r) => r.operations.includes('Create'))).toBe(false);
    const created = kafkaAclRules(KAFKA_ACCESS['profile-fuser'], { topicPrefix: '', provisionTopics: true })
      .filter((r) => r.operations.includes('Create'))
      .map((r) => r.name)
      .sort();
    const expected = KAFKA_ACCESS['profile-fuser'].provisions
      .flatMap((k) => [TOPICS[k].name, ...(DEAD_LETTERED_TOPICS.includes(k) ? [`${TOPICS[k].name}.dlq`] : [])])
      .sort();
    expect(created).toEqual(expected);
    // Outputs have no dead-letter topic to create.
    expect(created).not.toContain('profiles.v1.dlq');
  });

  it('lets KEDA describe but never read or write', () => {
    const ops = new Set(
      kafkaAclRules(KAFKA_ACCESS.keda, { topicPrefix: '', provisionTopics: true }).flatMap((r) => r.operations),
    );
    expect([...ops]).toEqual(['Describe']);
  });

  it('names users after their principal', () => {
    expect(kafkaUserName('profile-reader')).toBe('profilestream-profile-reader');
  });
});
