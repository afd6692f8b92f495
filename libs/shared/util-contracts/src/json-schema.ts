import { AVRO_SCHEMAS, type SchemaName } from './generated/schemas.generated';

/** A JSON Schema (OpenAPI 3.0 dialect: `nullable` for Avro's ["null", T] unions). */
export type JsonSchema = { [key: string]: unknown };

type Avro = string | Avro[] | { [key: string]: unknown };

const PRIMITIVE: Record<string, JsonSchema> = {
  boolean: { type: 'boolean' },
  int: { type: 'integer', format: 'int32' },
  long: { type: 'integer', format: 'int64' },
  float: { type: 'number', format: 'float' },
  double: { type: 'number', format: 'double' },
  string: { type: 'string' },
  bytes: { type: 'string', format: 'byte' },
};

/**
 * The JSON form of a contract record as JSON Schema, for API descriptions: records as objects
 * (fields with a default are optional), ["null", T] as T nullable, enums, arrays, maps; named
 * types from other schema files inlined where they are used.
 */
export function jsonSchemaOf(name: SchemaName): JsonSchema {
  const named = new Map<string, Avro>();
  for (const schema of Object.values(AVRO_SCHEMAS)) collect(schema as Avro, undefined, named);
  return convert(AVRO_SCHEMAS[name] as Avro, undefined, named);
}

function fullName(name: string, ns: string | undefined): string {
  return name.includes('.') || !ns ? name : `${ns}.${name}`;
}

function collect(s: Avro, ns: string | undefined, named: Map<string, Avro>): void {
  if (Array.isArray(s)) return s.forEach((x) => collect(x, ns, named));
  if (typeof s !== 'object') return;
  const space = (s['namespace'] as string | undefined) ?? ns;
  if (typeof s['name'] === 'string' && ['record', 'enum', 'fixed'].includes(s['type'] as string))
    named.set(fullName(s['name'], space), s);
  if (s['type'] === 'record') for (const f of s['fields'] as { type: Avro }[]) collect(f.type, space, named);
  else if (s['type'] === 'array') collect(s['items'] as Avro, space, named);
  else if (s['type'] === 'map') collect(s['values'] as Avro, space, named);
  else if (typeof s['type'] === 'object') collect(s['type'] as Avro, space, named);
}

function convert(s: Avro, ns: string | undefined, named: Map<string, Avro>): JsonSchema {
  if (typeof s === 'string') {
    if (PRIMITIVE[s]) return { ...PRIMITIVE[s] };
    const target = named.get(fullName(s, ns)) ?? named.get(s);
    if (!target) throw new Error(`unknown Avro type ${s}`);
    return convert(target, ns, named);
  }
  if (Array.isArray(s)) {
    const rest = s.filter((x) => x !== 'null');
    if (rest.length === 1)
      return { ...convert(rest[0]!, ns, named), ...(rest.length < s.length ? { nullable: true } : {}) };
    return { oneOf: rest.map((x) => convert(x, ns, named)), ...(rest.length < s.length ? { nullable: true } : {}) };
  }
  const space = (s['namespace'] as string | undefined) ?? ns;
  const doc = typeof s['doc'] === 'string' ? { description: s['doc'] } : {};
  switch (s['type']) {
    case 'record': {
      const fields = s['fields'] as { name: string; type: Avro; doc?: string; default?: unknown }[];
      const properties = Object.fromEntries(
        fields.map((f) => [f.name, { ...convert(f.type, space, named), ...(f.doc ? { description: f.doc } : {}) }]),
      );
      return {
        type: 'object',
        ...doc,
        properties,
        required: fields.filter((f) => !('default' in f)).map((f) => f.name),
      };
    }
    case 'enum':
      return { type: 'string', enum: s['symbols'], ...doc };
    case 'array':
      return { type: 'array', items: convert(s['items'] as Avro, space, named) };
    case 'map':
      return { type: 'object', additionalProperties: convert(s['values'] as Avro, space, named) };
    case 'fixed':
      return { type: 'string', format: 'byte' };
    default:
      return { ...convert(s['type'] as Avro, space, named), ...doc };
  }
}
