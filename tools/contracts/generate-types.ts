/**
 * Generates TypeScript types and embedded schema objects from schemas/*.avsc, so the .avsc files stay
 * the single source of truth and services need no schema files at run time.
 *
 *   npm run contracts:generate          write libs/shared/util-contracts/src/generated/schemas.generated.ts
 *   npm run contracts:generate -- --check   exit 1 when a generated file is stale (used by lint)
 * It also writes schemas/fingerprints.json (see `fingerprints`).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as avro from 'avsc';
import { crc64AvroLittleEndian } from '@profilestream/contracts';
import { join, resolve } from 'node:path';
import { commandLine } from '@profilestream/tools-cli';

type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };

const root = resolve(__dirname, '../..');
const schemaDir = join(root, 'schemas');
const outFile = join(root, 'libs/shared/util-contracts/src/generated/schemas.generated.ts');
const fingerprintsFile = join(schemaDir, 'fingerprints.json');

interface SchemaFile {
  file: string;
  schema: Record<string, unknown>;
  fullName: string;
  references: Set<string>;
}

function fullNameOf(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** Collects named types a schema defines and the names it references but does not define. */
function scan(schema: AvroSchema, namespace: string | undefined, defined: Set<string>, used: Set<string>): void {
  if (typeof schema === 'string') {
    if (!PRIMITIVES.has(schema)) used.add(fullNameOf(schema, namespace));
    return;
  }
  if (Array.isArray(schema)) {
    schema.forEach((s) => scan(s, namespace, defined, used));
    return;
  }
  const type = schema['type'] as AvroSchema;
  const ns = (schema['namespace'] as string | undefined) ?? namespace;
  if (type === 'record' || type === 'enum' || type === 'fixed') {
    defined.add(fullNameOf(schema['name'] as string, ns));
  }
  if (type === 'record') {
    for (const field of schema['fields'] as { type: AvroSchema }[]) scan(field.type, ns, defined, used);
  } else if (type === 'array') {
    scan(schema['items'] as AvroSchema, ns, defined, used);
  } else if (type === 'map') {
    scan(schema['values'] as AvroSchema, ns, defined, used);
  } else if (typeof type !== 'string' || !['enum', 'fixed'].includes(type)) {
    scan(type, ns, defined, used);
  }
}

const PRIMITIVES = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
  'record',
  'enum',
  'array',
  'map',
  'fixed',
]);

function loadSchemaFiles(): SchemaFile[] {
  const files = readdirSync(schemaDir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
  const loaded = files.map((file) => {
    const schema = JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as Record<string, unknown>;
    const defined = new Set<string>();
    const used = new Set<string>();
    scan(schema, undefined, defined, used);
    for (const name of defined) used.delete(name);
    return {
      file,
      schema,
      fullName: fullNameOf(schema['name'] as string, schema['namespace'] as string),
      references: used,
      defined,
    };
  });
  // Order files so that every file comes after the files defining the names it references.
  const ordered: SchemaFile[] = [];
  const done = new Set<string>();
  while (ordered.length < loaded.length) {
    const next = loaded.find((s) => !ordered.includes(s) && [...s.references].every((r) => done.has(r)));
    if (!next) {
      const stuck = loaded
        .filter((s) => !ordered.includes(s))
        .map((s) => `${s.file} needs ${[...s.references].join(', ')}`);
      throw new Error(`Unresolvable schema references: ${stuck.join('; ')}`);
    }
    ordered.push(next);
    next.defined.forEach((d) => done.add(d));
  }
  return ordered;
}

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/** Emits TypeScript for every named type, depth first, and returns the TS type of `schema`. */
class TypeEmitter {
  readonly declarations: string[] = [];

  tsType(schema: AvroSchema, namespace: string | undefined): string {
    if (typeof schema === 'string') {
      switch (schema) {
        case 'null':
          return 'null';
        case 'boolean':
          return 'boolean';
        case 'int':
        case 'long':
        case 'float':
        case 'double':
          return 'number';
        case 'bytes':
          return 'Buffer';
        case 'string':
          return 'string';
        default:
          return shortName(schema);
      }
    }
    if (Array.isArray(schema)) return schema.map((s) => this.tsType(s, namespace)).join(' | ');
    const type = schema['type'] as AvroSchema;
    const ns = (schema['namespace'] as string | undefined) ?? namespace;
    if (type === 'record') return this.record(schema, ns);
    if (type === 'enum') {
      const name = schema['name'] as string;
      const symbols = (schema['symbols'] as string[]).map((s) => `'${s}'`).join(' | ');
      this.declarations.push(
        `${doc(schema['doc'])}export type ${name} = ${symbols};\nexport const ${name}Values = [${(schema['symbols'] as string[]).map((s) => `'${s}'`).join(', ')}] as const;`,
      );
      return name;
    }
    if (type === 'array') return `${this.wrap(this.tsType(schema['items'] as AvroSchema, ns))}[]`;
    if (type === 'map') return `Record<string, ${this.tsType(schema['values'] as AvroSchema, ns)}>`;
    if (type === 'fixed') return 'Buffer';
    return this.tsType(type, ns);
  }

  private wrap(t: string): string {
    return t.includes('|') ? `(${t})` : t;
  }

  private record(schema: Record<string, unknown>, ns: string | undefined): string {
    const name = schema['name'] as string;
    const fields = schema['fields'] as { name: string; type: AvroSchema; doc?: string; default?: unknown }[];
    const lines = fields.map((f) => `${doc(f.doc, '  ')}  ${f.name}: ${this.tsType(f.type, ns)};`);
    this.declarations.push(`${doc(schema['doc'])}export interface ${name} {\n${lines.join('\n')}\n}`);
    const defaulted = fields.filter((f) => 'default' in f).map((f) => `'${f.name}'`);
    if (defaulted.length > 0) {
      this.declarations.push(
        `/** ${name} as a producer may write it: fields with schema defaults may be omitted. */\nexport type ${name}Input = Omit<${name}, ${defaulted.join(' | ')}> & Partial<Pick<${name}, ${defaulted.join(' | ')}>>;`,
      );
    } else {
      this.declarations.push(
        `/** ${name} as a producer writes it (no field has a default). */\nexport type ${name}Input = ${name};`,
      );
    }
    return name;
  }
}

function doc(text: unknown, indent = ''): string {
  return typeof text === 'string' ? `${indent}/** ${text.replace(/\*\//g, '* /')} */\n` : '';
}

export function generate(): string {
  const files = loadSchemaFiles();
  const emitter = new TypeEmitter();
  for (const f of files) emitter.tsType(f.schema as AvroSchema, undefined);
  const schemaEntries = files
    .map((f) => `  ${JSON.stringify(shortName(f.fullName))}: ${JSON.stringify(f.schema)},`)
    .join('\n');
  return [
    '// Generated from schemas/*.avsc by tools/contracts/generate-types.ts. Do not edit: run `npm run contracts:generate`.',
    '/* eslint-disable */',
    '',
    ...emitter.declarations.map((d) => `${d}\n`),
    '/** Names of the top-level contract schemas. */',
    `export type SchemaName = ${files.map((f) => `'${shortName(f.fullName)}'`).join(' | ')};`,
    '',
    '/** Every top-level schema, keyed by record name, in dependency order (a schema only references names defined above it). */',
    'export const AVRO_SCHEMAS: Readonly<Record<SchemaName, object>> = {',
    schemaEntries,
    '};',
    '',
    '/** Maps each top-level schema name to its TypeScript record type. */',
    'export interface SchemaTypes {',
    ...files.map((f) => `  ${shortName(f.fullName)}: ${shortName(f.fullName)};`),
    '}',
    '',
    '/** Maps each top-level schema name to the record type a producer may write (defaults optional). */',
    'export interface SchemaInputTypes {',
    ...files.map((f) => `  ${shortName(f.fullName)}: ${shortName(f.fullName)}Input;`),
    '}',
    '',
  ].join('\n');
}

/**
 * schemas/fingerprints.json: for readers in other languages, each schema's full name, its Parsing
 * Canonical Form (with the named types it uses from other files inlined, as Avro defines it) and
 * the CRC-64-AVRO fingerprint of that form as the 8 bytes that follow `C3 01` in a single-object
 * encoded value (the little-endian form fastavro and the Java library give).
 */
export function fingerprints(): string {
  const registry: Record<string, avro.Type> = {};
  const schemas: Record<string, { fullName: string; fingerprint: string; canonicalForm: string }> = {};
  for (const f of loadSchemaFiles()) {
    const type = avro.Type.forSchema(f.schema as avro.Schema, { registry });
    const canonicalForm = JSON.stringify(type.schema());
    schemas[shortName(f.fullName)] = {
      fullName: f.fullName,
      fingerprint: crc64AvroLittleEndian(Buffer.from(canonicalForm, 'utf8')).toString('hex'),
      canonicalForm,
    };
  }
  const note =
    'Generated from schemas/*.avsc by tools/contracts/generate-types.ts (npm run contracts:generate). fingerprint: CRC-64-AVRO of canonicalForm, hex of the 8 bytes as they follow C3 01 in a single-object encoded value.';
  return `${JSON.stringify({ note, schemas }, null, 2)}\n`;
}

const USAGE = `Usage: npm run contracts:generate [-- --check]

Generates TypeScript types and embedded schema objects from schemas/*.avsc into
libs/shared/util-contracts/src/generated/schemas.generated.ts, so the .avsc files stay the single
source of truth and services need no schema files at run time, and schemas/fingerprints.json (each
schema's canonical form and fingerprint, for readers in other languages).

Options:
  --check      write nothing; exit 1 when a generated file is stale (lint runs this)
  -h, --help   this text

Example:
  npm run contracts:generate -- --check`;

if (require.main === module) {
  const { check } = commandLine(
    { command: 'npm run contracts:generate', usage: USAGE, options: { check: { type: 'boolean', default: false } } },
    ({ values }) => values,
  );
  const outputs = [
    { file: outFile, text: generate() },
    { file: fingerprintsFile, text: fingerprints() },
  ];
  for (const { file, text } of outputs) {
    const name = file.slice(root.length + 1);
    if (check) {
      const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (current !== text) {
        console.error(`${name} is stale: run \`npm run contracts:generate\` and commit the result.`);
        process.exit(1);
      }
      console.log(`${name} is up to date.`);
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${name}`);
    }
  }
}
