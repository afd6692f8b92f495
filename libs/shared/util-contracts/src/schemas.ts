import * as avro from 'avsc';
import { AVRO_SCHEMAS, SchemaName } from './generated/schemas.generated';
import { crc64AvroLittleEndian } from './crc64-avro';

/**
 * Parsed Avro types for every contract schema. Schemas are parsed in dependency order into one
 * registry, so a schema may reference a named type (an enum, a record) defined in another file.
 */
export class SchemaCatalog {
  private readonly types = new Map<SchemaName, avro.Type>();

  constructor() {
    const registry: Record<string, avro.Type> = {};
    for (const [name, schema] of Object.entries(AVRO_SCHEMAS) as [SchemaName, object][]) {
      this.types.set(name, avro.Type.forSchema(schema as avro.Schema, { registry }));
    }
  }

  type(name: SchemaName): avro.Type {
    const type = this.types.get(name);
    if (!type) throw new Error(`Unknown schema ${name}`);
    return type;
  }

  names(): SchemaName[] {
    return [...this.types.keys()];
  }
}

let defaultCatalog: SchemaCatalog | undefined;

/** The process-wide catalogue of contract schemas (parsing is done once). */
export function schemaCatalog(): SchemaCatalog {
  defaultCatalog ??= new SchemaCatalog();
  return defaultCatalog;
}

/** Avro's Parsing Canonical Form of a type: what fingerprints and registries hash. */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

/** The CRC-64-AVRO fingerprint of a type's canonical form, little-endian as on the wire. */
export function fingerprintOf(type: avro.Type): Buffer {
  return crc64AvroLittleEndian(Buffer.from(canonicalForm(type), 'utf8'));
}

/**
 * Parses a schema that may reference contract types by name (for example a newer or older
 * version of a contract record), resolving those names against the catalogue.
 */
export function parseSchema(schema: avro.Schema, catalog: SchemaCatalog = schemaCatalog()): avro.Type {
  const registry: Record<string, avro.Type> = {};
  for (const name of catalog.names()) collectNamed(catalog.type(name), registry);
  // Names the schema defines itself win over the catalogue's (it may be another version of them).
  for (const defined of definedNames(schema)) {
    for (const key of Object.keys(registry)) {
      if (key === defined || key.endsWith(`.${defined}`)) delete registry[key];
    }
  }
  return avro.Type.forSchema(schema, { registry });
}

function collectNamed(type: avro.Type, registry: Record<string, avro.Type>): void {
  const name = type.name;
  if (name) {
    if (registry[name]) return;
    registry[name] = type;
  }
  const t = type as avro.Type & {
    fields?: { type: avro.Type }[];
    itemsType?: avro.Type;
    valuesType?: avro.Type;
    types?: avro.Type[];
  };
  t.fields?.forEach((f) => collectNamed(f.type, registry));
  if (t.itemsType) collectNamed(t.itemsType, registry);
  if (t.valuesType) collectNamed(t.valuesType, registry);
  t.types?.forEach((u) => collectNamed(u, registry));
}

function definedNames(schema: unknown): string[] {
  if (Array.isArray(schema)) return schema.flatMap(definedNames);
  if (!schema || typeof schema !== 'object') return [];
  const s = schema as Record<string, unknown>;
  const own =
    typeof s['name'] === 'string' && ['record', 'enum', 'fixed'].includes(String(s['type'])) ? [String(s['name'])] : [];
  const nested = [
    s['type'],
    s['items'],
    s['values'],
    ...((s['fields'] as { type: unknown }[] | undefined) ?? []).map((f) => f.type),
  ];
  return [...own, ...nested.flatMap((n) => (typeof n === 'object' ? definedNames(n) : []))];
}
