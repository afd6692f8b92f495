import {
  ConfluentSerde,
  SingleObjectSerde,
  type SchemaName,
  type TopicSpec,
  type ValueSerde,
} from '@profilestream/contracts';
import type { KafkaSettings } from '@profilestream/config';
import { HttpSchemaRegistry } from './schema-registry.client';

/**
 * Creates the value serde of a topic with the configured framing: single-object by default, the
 * Confluent wire format (subject `<topic>-value`) when a registry is configured. Call `init()`.
 */
export function topicSerde<N extends SchemaName>(
  spec: TopicSpec & { schema: N },
  settings: Pick<KafkaSettings, 'framing' | 'schemaRegistry'>,
): ValueSerde<N> {
  if (settings.framing === 'confluent') {
    if (!settings.schemaRegistry) throw new Error('confluent framing needs a schema registry');
    return new ConfluentSerde(spec.schema, `${spec.name}-value`, new HttpSchemaRegistry(settings.schemaRegistry));
  }
  return new SingleObjectSerde(spec.schema);
}
