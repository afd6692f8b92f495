import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Schema } from 'avsc';
import {
  AVRO_SCHEMAS,
  ConfluentSerde,
  SchemaCatalog,
  SchemaRegistry,
  SerdeError,
  SingleObjectSerde,
  TOPICS,
  allTopicSpecs,
  canonicalForm,
  crc64Avro,
  dlqTopicName,
  fingerprintOf,
  packFloat32,
  parseSchema,
  schemaCatalog,
  unpackFloat32,
  ReviewInput,
} from './index';

const review: ReviewInput = {
  eventId: 'ev-1',
  userId: 'user-1',
  itemId: 'item-9',
  text: 'Great strings, 好用',
  rating: 5,
  platform: 'shop',
  occurredAt: 1_700_000_000_000,
};

async function expectSerdeError(p: Promise<unknown>, reason: string): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(SerdeError);
  await expect(p).rejects.toMatchObject({ reason });
}

describe('CRC-64-AVRO fingerprints', () => {
  it('matches the Avro specification and another implementation', () => {
    // Values from the Avro spec's test vectors and fastavro's to_parsing_canonical_form + fingerprint.
    expect(crc64Avro(Buffer.from('"int"')).toString(16)).toBe('7275d51a3f395c8f');
    expect(crc64Avro(Buffer.from('"null"')).toString(16)).toBe('63dd24e7cc258f8a');
    expect(fingerprintOf(schemaCatalog().type('Review')).toString('hex')).toBe('75b9108a96788f7f');
  });

  it('fingerprints the parsing canonical form, ignoring docs and defaults', () => {
    expect(canonicalForm(schemaCatalog().type('Review'))).toBe(
      '{"name":"profilestream.v1.Review","type":"record","fields":[{"name":"eventId","type":"string"},{"name":"userId","type":"string"},{"name":"itemId","type":"string"},{"name":"text","type":"string"},{"name":"rating","type":["null","int"]},{"name":"lang","type":["null","string"]},{"name":"platform","type":"string"},{"name":"occurredAt","type":"long"}]}',
    );
  });
});

describe('schemas', () => {
  it('parses every contract schema, resolving cross-file references', () => {
    const catalog = new SchemaCatalog();
    expect(catalog.names().sort()).toEqual(Object.keys(AVRO_SCHEMAS).sort());
    expect(catalog.type('EmbeddedText').name).toBe('profilestream.v1.EmbeddedText');
  });
});

describe('SingleObjectSerde', () => {
  const serde = new SingleObjectSerde('Review');

  it('round-trips a record and fills schema defaults', async () => {
    const bytes = serde.encode(review);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(bytes.subarray(2, 10)).toEqual(fingerprintOf(schemaCatalog().type('Review')));
    expect({ ...(await serde.decode(bytes)) }).toEqual({ ...review, lang: null });
  });

  it('rejects an invalid record before it is sent, naming the field', () => {
    expect(() => serde.encode({ ...review, rating: 4.5 })).toThrow(/rating: 4\.5 is not a valid int/);
    expect(() => serde.encode({ ...review, userId: undefined } as unknown as ReviewInput)).toThrow(/userId/);
  });

  it('gives a dead-letter reason for every kind of bad bytes', async () => {
    const good = serde.encode(review);
    await expectSerdeError(serde.decode(Buffer.alloc(0)), 'empty_payload');
    await expectSerdeError(serde.decode(Buffer.from('{"json":true}')), 'unknown_framing');
    await expectSerdeError(serde.decode(good.subarray(0, good.length - 3)), 'truncated');
    const otherSchema = new SingleObjectSerde('Post').encode({
      eventId: 'p',
      userId: 'u',
      text: 't',
      platform: 'x',
      occurredAt: 1,
    });
    await expectSerdeError(serde.decode(otherSchema), 'unknown_schema');
    await expectSerdeError(serde.decode(Buffer.concat([good, Buffer.from([1, 2, 3])])), 'undecodable');
  });

  describe('schema evolution', () => {
    const reviewSchema = AVRO_SCHEMAS.Review as { fields: object[] } & Record<string, unknown>;
    const evolved = {
      ...reviewSchema,
      fields: [...reviewSchema.fields, { name: 'helpfulVotes', type: ['null', 'int'], default: null }],
    } as unknown as Schema;

    it('lets a reader on the old schema read a record written with an added optional field', async () => {
      const catalog = schemaCatalog();
      const newWriter = new SingleObjectSerde('Review', catalog);
      const newType = parseSchema(evolved);
      const bytes = Buffer.concat([
        Buffer.from([0xc3, 0x01]),
        fingerprintOf(newType),
        newType.toBuffer({ ...review, lang: null, helpfulVotes: 12 }),
      ]);
      const oldReader = new SingleObjectSerde('Review', catalog);
      await expectSerdeError(oldReader.decode(bytes), 'unknown_schema');
      oldReader.registerWriterSchema(evolved);
      expect({ ...(await oldReader.decode(bytes)) }).toEqual({ ...review, lang: null });
      expect(newWriter).toBeDefined();
    });

    it('lets a reader on the new schema read an old record, taking the default', async () => {
      const newType = parseSchema(evolved);
      const old = new SingleObjectSerde('Review').encode(review);
      const resolver = newType.createResolver(schemaCatalog().type('Review'));
      expect({ ...newType.fromBuffer(old.subarray(10), resolver) }).toEqual({
        ...review,
        lang: null,
        helpfulVotes: null,
      });
    });

    /** UserProfile as it was before the named fields were added. */
    const profileSchemaWithout = (...added: string[]) => {
      const current = AVRO_SCHEMAS.UserProfile as { fields: { name: string }[] } & Record<string, unknown>;
      return parseSchema({
        ...current,
        fields: current.fields.filter((f) => !added.includes(f.name)),
      } as unknown as Schema);
    };
    /** A profile with only the fields the first version had. */
    const earliestProfile = {
      userId: 'u',
      version: 3,
      modelId: 'm@1',
      projectionId: null,
      dim: 2,
      horizons: [{ name: '90d', halfLifeMs: 7_776_000_000, vector: Buffer.alloc(8), weight: 1, refTime: 1 }],
      channels: [],
      negative: null,
      counters: [],
      ratingMean: null,
      ratingCount: 0,
      categoryAffinities: [],
      interests: [],
      firstEventAt: 1,
      lastEventAt: 1,
      eventCount: 1,
      updatedAt: 2,
      state: null,
    };

    describe('UserProfile gained `attributes` and `interestClusters`', () => {
      const before = profileSchemaWithout('attributes', 'interestClusters');
      const now = schemaCatalog().type('UserProfile');
      const base = { ...earliestProfile, sentiment: null };
      const attributes = [
        { name: 'country', value: 'DE', updatedAt: 1 },
        { name: 'custom.seats', value: 3, updatedAt: 1 },
        { name: 'custom.beta', value: true, updatedAt: 1 },
        { name: 'languages', value: ['de', 'en'], updatedAt: 1 },
      ];
      const interestClusters = [
        {
          vector: Buffer.alloc(8),
          weight: 2,
          halfLifeMs: 7_776_000_000,
          refTime: 1,
          events: 2,
          label: 'drums',
          topCategories: ['percussion'],
        },
      ];

      it('lets readers on the old schema read new profiles, skipping them', () => {
        const fresh = now.toBuffer({ ...base, attributes, interestClusters });
        const read = before.fromBuffer(fresh, before.createResolver(now)) as Record<string, unknown>;
        expect(read['attributes']).toBeUndefined();
        expect(read['eventCount']).toBe(1);
        expect(now.fromBuffer(fresh)).toMatchObject({ attributes, interestClusters });
      });

      it('reads profiles written before them as empty lists', () => {
        const old = before.toBuffer(base);
        expect({ ...now.fromBuffer(old, now.createResolver(before)) }).toMatchObject({
          attributes: [],
          interestClusters: [],
        });
      });
    });

    describe('UserProfile gained `sentiment`', () => {
      const before = profileSchemaWithout('sentiment');
      const now = schemaCatalog().type('UserProfile');
      const base = earliestProfile;
      const sentiment = {
        classifierId: 'c',
        positive: 2,
        negative: 1,
        meanPositive: 0.6,
        scored: 2.5,
        halfLifeMs: 7_776_000_000,
        refTime: 1,
      };

      it('reads profiles written before it, as null', () => {
        const old = before.toBuffer(base);
        expect({ ...now.fromBuffer(old, now.createResolver(before)) }.sentiment).toBeNull();
      });

      it('lets readers on the old schema read new profiles, skipping it', () => {
        const fresh = now.toBuffer({ ...base, sentiment });
        const read = before.fromBuffer(fresh, before.createResolver(now)) as Record<string, unknown>;
        expect(read['sentiment']).toBeUndefined();
        expect(read['userId']).toBe('u');
        expect(read['state']).toBeNull();
        expect(now.fromBuffer(fresh).sentiment).toEqual(sentiment);
      });
    });
  });
});

/** A registry kept in memory: enough to check the wire format, which does not depend on transport. */
class MemoryRegistry implements SchemaRegistry {
  private readonly byId = new Map<number, string>();
  async register(_subject: string, schema: string): Promise<number> {
    for (const [id, s] of this.byId) if (s === schema) return id;
    const id = this.byId.size + 101;
    this.byId.set(id, schema);
    return id;
  }
  async schemaById(id: number): Promise<string> {
    const s = this.byId.get(id);
    if (!s) throw new Error(`404 schema ${id}`);
    return s;
  }
}

describe('ConfluentSerde', () => {
  it('writes magic byte 0 and the registry id, and round-trips', async () => {
    const registry = new MemoryRegistry();
    const serde = new ConfluentSerde('Review', 'reviews.v1-value', registry);
    expect(() => serde.encode(review)).toThrow(/before init/);
    await serde.init();
    const bytes = serde.encode(review);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(101);
    expect((await serde.decode(bytes)).text).toBe(review.text);
  });

  it('resolves a writer schema fetched by id, and reports unknown ids', async () => {
    const registry = new MemoryRegistry();
    const reviewSchema = AVRO_SCHEMAS.Review as { fields: object[] } & Record<string, unknown>;
    const evolvedId = await registry.register(
      'reviews.v1-value',
      JSON.stringify({
        ...reviewSchema,
        fields: [...reviewSchema.fields, { name: 'extra', type: 'string', default: '' }],
      }),
    );
    const writer = parseSchema({
      ...reviewSchema,
      fields: [...reviewSchema.fields, { name: 'extra', type: 'string', default: '' }],
    } as unknown as Schema);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(evolvedId, 1);
    const serde = new ConfluentSerde('Review', 'reviews.v1-value', registry);
    await serde.init();
    const decoded = await serde.decode(Buffer.concat([header, writer.toBuffer({ ...review, lang: 'en', extra: 'x' })]));
    expect(decoded.lang).toBe('en');
    header.writeUInt32BE(999, 1);
    await expectSerdeError(serde.decode(Buffer.concat([header, Buffer.from([0])])), 'registry_unavailable');
    await expectSerdeError(serde.decode(Buffer.from([0xc3, 0x01, 0, 0, 0])), 'unknown_framing');
  });
});

describe('topics', () => {
  it('compacts profiles and items, and gives every consumed topic a dead-letter topic', () => {
    expect(TOPICS.profiles).toMatchObject({ name: 'profiles.v1', cleanupPolicy: 'compact', keyField: 'userId' });
    expect(TOPICS.items.cleanupPolicy).toBe('compact');
    const names = allTopicSpecs().map((t) => t.name);
    expect(names).toContain(dlqTopicName('reviews.v1'));
    expect(names).toContain('texts.embedded.v1.dlq');
    expect(new Set(names).size).toBe(names.length);
  });

  it('names a schema that exists for every topic that has one', () => {
    for (const spec of Object.values(TOPICS))
      if (spec.schema !== null) expect(Object.keys(AVRO_SCHEMAS)).toContain(spec.schema);
  });
});

describe('vector packing', () => {
  it('round-trips float32 little-endian, also from an unaligned slice', () => {
    const v = [0.5, -1.25, 3.0e-8, 1234.5];
    const packed = packFloat32(v);
    expect(packed.readFloatLE(4)).toBe(-1.25);
    const unaligned = Buffer.concat([Buffer.from([7]), packed]).subarray(1);
    expect(Array.from(unpackFloat32(unaligned))).toEqual(Array.from(Float32Array.from(v)));
    expect(() => unpackFloat32(Buffer.alloc(5))).toThrow(RangeError);
  });
});

describe('schemas/fingerprints.json', () => {
  const published = JSON.parse(readFileSync(join(__dirname, '../../../../schemas/fingerprints.json'), 'utf8')) as {
    schemas: Record<string, { fullName: string; fingerprint: string; canonicalForm: string }>;
  };

  it('gives, for every schema, the bytes that follow C3 01 in the values the services write', () => {
    const catalog = schemaCatalog();
    expect(Object.keys(published.schemas).sort()).toEqual(catalog.names().sort());
    for (const name of catalog.names()) {
      // The first bytes of a value the serde writes: C3 01, then the fingerprint.
      const header = new SingleObjectSerde(name).encode(catalog.type(name).random() as never).subarray(0, 10);
      expect([name, header.toString('hex')]).toEqual([name, `c301${published.schemas[name]!.fingerprint}`]);
      expect(published.schemas[name]!.canonicalForm).toBe(canonicalForm(catalog.type(name)));
    }
  });
});
