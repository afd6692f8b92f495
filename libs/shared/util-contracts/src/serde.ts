import type * as avro from 'avsc';
import type { SchemaInputTypes, SchemaName, SchemaTypes } from './generated/schemas.generated';
import { SerdeError } from './errors';
import { SchemaCatalog, canonicalForm, fingerprintOf, parseSchema, schemaCatalog } from './schemas';

/**
 * Encodes and decodes one contract record type with a wire framing. Encoding validates first and
 * throws a SerdeError naming the offending field; decoding throws a SerdeError whose `reason` is a
 * dead-letter reason.
 */
export interface ValueSerde<N extends SchemaName> {
  readonly schemaName: N;
  readonly framing: 'single-object' | 'confluent';
  /** Resolves what encoding needs up front (a registry id); a no-op for single-object framing. */
  init(): Promise<void>;
  encode(value: SchemaInputTypes[N]): Buffer;
  decode(bytes: Buffer): Promise<SchemaTypes[N]>;
}

/** The subset of a Confluent-compatible schema registry that framing needs. */
export interface SchemaRegistry {
  /** Registers (or finds) `schema` under `subject` and returns its global id. */
  register(subject: string, schema: string): Promise<number>;
  /** The schema text registered under a global id. */
  schemaById(id: number): Promise<string>;
}

/** Throws a SerdeError listing every field of `value` that does not match `type`. */
export function assertValid(type: avro.Type, value: unknown): void {
  const problems: string[] = [];
  const ok = type.isValid(value, {
    errorHook: (path: string[], any: unknown, t: avro.Type) => {
      const shown = typeof any === 'string' && any.length > 40 ? `${any.slice(0, 40)}…` : any;
      problems.push(`${path.join('.') || '(root)'}: ${safeJson(shown)} is not a valid ${describe(t)}`);
    },
  });
  if (!ok) throw new SerdeError('invalid_record', `invalid ${type.name ?? 'record'}: ${problems.join('; ')}`);
}

function describe(t: avro.Type): string {
  const schema = t.schema();
  return typeof schema === 'string' ? schema : JSON.stringify(schema).slice(0, 60);
}

function safeJson(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function decodeBody<T>(reader: avro.Type, body: Buffer, resolver?: avro.Resolver): T {
  try {
    return reader.fromBuffer(body, resolver) as T;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new SerdeError(
      message.includes('truncated') ? 'truncated' : 'undecodable',
      `cannot decode ${reader.name}: ${message}`,
    );
  }
}

const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01]);
const SINGLE_OBJECT_HEADER = 10;

/**
 * Avro single-object encoding (0xC3 0x01, the writer schema's CRC-64-AVRO fingerprint, the body).
 * Needs no registry: readers know writer schemas by fingerprint. A record written with a schema
 * version the reader has not been given fails with `unknown_schema` (register it with
 * `registerWriterSchema`).
 */
export class SingleObjectSerde<N extends SchemaName> implements ValueSerde<N> {
  readonly framing = 'single-object' as const;
  private readonly reader: avro.Type;
  private readonly header: Buffer;
  private readonly resolvers = new Map<string, avro.Resolver>();

  constructor(
    readonly schemaName: N,
    private readonly catalog: SchemaCatalog = schemaCatalog(),
  ) {
    this.reader = catalog.type(schemaName);
    this.header = Buffer.concat([SINGLE_OBJECT_MAGIC, fingerprintOf(this.reader)]);
  }

  async init(): Promise<void> {
    // Nothing to resolve: the fingerprint is computed from the schema itself.
  }

  /** Lets this reader decode records written with another version of the schema (added or removed fields). */
  registerWriterSchema(schema: avro.Schema | avro.Type): void {
    const writer = isType(schema) ? schema : parseSchema(schema, this.catalog);
    this.resolvers.set(fingerprintOf(writer).toString('hex'), this.reader.createResolver(writer));
  }

  encode(value: SchemaInputTypes[N]): Buffer {
    assertValid(this.reader, value);
    return Buffer.concat([this.header, this.reader.toBuffer(value)]);
  }

  async decode(bytes: Buffer): Promise<SchemaTypes[N]> {
    return this.decodeSync(bytes);
  }

  decodeSync(bytes: Buffer): SchemaTypes[N] {
    if (bytes.length === 0) throw new SerdeError('empty_payload', 'empty payload');
    if (bytes.length < SINGLE_OBJECT_HEADER || bytes[0] !== 0xc3 || bytes[1] !== 0x01) {
      throw new SerdeError(
        'unknown_framing',
        `not Avro single-object encoded (first bytes ${bytes.subarray(0, 2).toString('hex')})`,
      );
    }
    const body = bytes.subarray(SINGLE_OBJECT_HEADER);
    if (bytes.compare(this.header, 0, SINGLE_OBJECT_HEADER, 0, SINGLE_OBJECT_HEADER) === 0) {
      return decodeBody(this.reader, body);
    }
    const fingerprint = bytes.subarray(2, SINGLE_OBJECT_HEADER).toString('hex');
    const resolver = this.resolvers.get(fingerprint);
    if (!resolver) {
      throw new SerdeError('unknown_schema', `${this.schemaName}: unknown writer schema fingerprint ${fingerprint}`);
    }
    return decodeBody(this.reader, body, resolver);
  }
}

const CONFLUENT_MAGIC = 0x00;
const CONFLUENT_HEADER = 5;

/**
 * The Confluent wire format (0x00, a big-endian 4-byte schema id, the body), for deployments that
 * run a Confluent-compatible schema registry. Writer schemas are fetched by id and cached.
 */
export class ConfluentSerde<N extends SchemaName> implements ValueSerde<N> {
  readonly framing = 'confluent' as const;
  private readonly reader: avro.Type;
  private ownId: number | undefined;
  private readonly resolvers = new Map<number, Promise<avro.Resolver | null>>();

  constructor(
    readonly schemaName: N,
    private readonly subject: string,
    private readonly registry: SchemaRegistry,
    private readonly catalog: SchemaCatalog = schemaCatalog(),
  ) {
    this.reader = catalog.type(schemaName);
  }

  async init(): Promise<void> {
    if (this.ownId !== undefined) return;
    try {
      this.ownId = await this.registry.register(this.subject, canonicalForm(this.reader));
    } catch (err) {
      throw new SerdeError('registry_unavailable', `cannot register ${this.subject}: ${(err as Error).message}`, true);
    }
    this.resolvers.set(this.ownId, Promise.resolve(null));
  }

  encode(value: SchemaInputTypes[N]): Buffer {
    if (this.ownId === undefined) throw new Error(`ConfluentSerde(${this.subject}) used before init()`);
    assertValid(this.reader, value);
    const header = Buffer.alloc(CONFLUENT_HEADER);
    header.writeUInt8(CONFLUENT_MAGIC, 0);
    header.writeUInt32BE(this.ownId, 1);
    return Buffer.concat([header, this.reader.toBuffer(value)]);
  }

  async decode(bytes: Buffer): Promise<SchemaTypes[N]> {
    if (bytes.length === 0) throw new SerdeError('empty_payload', 'empty payload');
    if (bytes.length < CONFLUENT_HEADER || bytes[0] !== CONFLUENT_MAGIC) {
      throw new SerdeError(
        'unknown_framing',
        `not in the Confluent wire format (first byte ${bytes.subarray(0, 1).toString('hex')})`,
      );
    }
    const id = bytes.readUInt32BE(1);
    const resolver = await this.resolverFor(id);
    return decodeBody(this.reader, bytes.subarray(CONFLUENT_HEADER), resolver ?? undefined);
  }

  private resolverFor(id: number): Promise<avro.Resolver | null> {
    let pending = this.resolvers.get(id);
    if (!pending) {
      pending = this.registry.schemaById(id).then(
        (text) => {
          const writer = parseSchema(JSON.parse(text) as avro.Schema, this.catalog);
          return canonicalForm(writer) === canonicalForm(this.reader) ? null : this.reader.createResolver(writer);
        },
        (err: Error) => {
          this.resolvers.delete(id); // let a later record retry the lookup
          throw new SerdeError('registry_unavailable', `cannot fetch schema ${id}: ${err.message}`, true);
        },
      );
      pending.catch(() => undefined);
      this.resolvers.set(id, pending);
    }
    return pending.catch((err: unknown) => {
      if (err instanceof SerdeError) throw err;
      throw new SerdeError(
        'unknown_schema',
        `schema ${id} cannot be read as ${this.schemaName}: ${(err as Error).message}`,
      );
    });
  }
}

function isType(x: unknown): x is avro.Type {
  return typeof x === 'object' && x !== null && typeof (x as avro.Type).toBuffer === 'function';
}
