import type { ClickAction } from '@profilestream/contracts';
import { hasSharedZeroSum, zeroSum, type DecayedScalarState, type DecayedVectorState } from './decayed-vector';
import { endianness } from 'node:os';
import { StateCodecError } from './errors';
import {
  CLICK_ACTIONS,
  FUSION_CHANNELS,
  emptySentiment,
  type CounterState,
  type FusionChannel,
  type ProfileState,
  type RecentText,
} from './profile-state';
import type { AttributeState } from './attributes';
import type { ClusterCategory, InterestClusterState } from './interest-clusters';
import { dict, getEntry, setEntry, sortedKeys, type Dict } from './records';

/**
 * Binary form of a ProfileState: the fuser's exact state, written to its state topic and Redis.
 *
 * Version 3 layout (little-endian; str = u32 count of UTF-16 code units + the code units, so every
 * JS string round-trips exactly; dictionaries are written in code-unit key order, so equal states
 * encode equally; decode(encode(s)) is bit-identical to s):
 *
 *   u8 version=3 · str userId · str modelId · u32 dim
 *   u32 n · n × (str name · vec)                      horizons
 *   3 × vec                                            channels review, post, click
 *   vec                                                negative
 *   u32 n · n × (str channel · u8 hasAction · [str action] · f64 total · scalar)   counters
 *   f64 ratingSum · f64 ratingCount
 *   u32 n · n × (str label · scalar)                   categoryAffinity
 *   f64 firstEventAt · f64 lastEventAt · f64 eventCount
 *   u32 n · n × (str topic:partition · str offset)     appliedOffsets
 *   f64 positive · f64 negative · scalar probability · scalar scored   sentiment
 *   u32 n · n × (str hash · f64 at)                    recentTexts (version 3)
 *   u32 n · n × (str name · f64 at · attr)             attributes (version 4)
 *   u32 n · n × (vec · f64 lastActivityAt · f64 events · u32 m · m × (str label · scalar))
 *                                                      interest clusters, in creation order (version 5)
 *
 *   vec    = f64 halfLifeMs · f64 weight · f64 refTime · u8 hasSum · [dim × f32]
 *            (a vector nothing was folded into writes hasSum = 0 and no floats: a user who only
 *            clicks carries no review, post or negative floats)
 *   scalar = f64 halfLifeMs · f64 value · f64 refTime
 *   attr   = u8 kind · payload: 0 removed (none) · 1 string (str) · 2 number (f64) · 3 boolean (u8)
 *            · 4 string list (u32 n · n × str)
 *
 * Versions 1 and 2 (float64 sums; 2 added the sentiment block) are still read, with sums rounded to
 * float32, so states exported by earlier releases can be imported; version 3 reads with no
 * attributes, version 4 with no interest clusters (they fill from the next event on). Writers write
 * version 5.
 */
export const STATE_CODEC_VERSION = 5;
const READABLE_VERSIONS = [1, 2, 3, 4, 5];

/** Float arrays are copied as bytes where the machine is little-endian (every platform we run on). */
const LITTLE_ENDIAN = endianness() === 'LE';

class Writer {
  private buf = Buffer.alloc(4096);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
  }
  u32(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new StateCodecError(`cannot encode ${v} as u32`);
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  f32s(vs: Float32Array): void {
    const n = vs.length * 4;
    this.ensure(n);
    if (LITTLE_ENDIAN) this.buf.set(new Uint8Array(vs.buffer, vs.byteOffset, n), this.pos);
    else for (let i = 0; i < vs.length; i++) this.buf.writeFloatLE(vs[i]!, this.pos + i * 4);
    this.pos += n;
  }
  str(s: string): void {
    this.u32(s.length);
    this.ensure(s.length * 2);
    // utf16le writes every code unit as it is, lone surrogates included.
    this.buf.write(s, this.pos, s.length * 2, 'utf16le');
    this.pos += s.length * 2;
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  private take(n: number, what: string): number {
    if (this.pos + n > this.buf.length)
      throw new StateCodecError(`state bytes truncated reading ${what} at byte ${this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  private view(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }
  u8(what: string): number {
    return this.buf[this.take(1, what)]!;
  }
  u32(what: string): number {
    return this.view().readUInt32LE(this.take(4, what));
  }
  f64(what: string): number {
    return this.view().readDoubleLE(this.take(8, what));
  }
  /** n float64s (versions 1 and 2), rounded to float32. */
  f64sAsF32(n: number, what: string): Float32Array {
    const at = this.take(n * 8, what);
    const v = this.view();
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = v.readDoubleLE(at + i * 8);
    return out;
  }
  f32s(n: number, what: string): Float32Array {
    const at = this.take(n * 4, what);
    const out = new Float32Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(this.buf.subarray(at, at + n * 4));
    else {
      const v = this.view();
      for (let i = 0; i < n; i++) out[i] = v.readFloatLE(at + i * 4);
    }
    return out;
  }
  str(what: string): string {
    const n = this.u32(what);
    const at = this.take(n * 2, what);
    return this.view().toString('utf16le', at, at + n * 2);
  }
  /** A count of items each at least `minBytes` long, checked against what is left. */
  count(minBytes: number, what: string): number {
    const n = this.u32(what);
    if (n * minBytes > this.buf.length - this.pos)
      throw new StateCodecError(`state bytes truncated: ${n} ${what} cannot fit`);
    return n;
  }
  end(): void {
    if (this.pos !== this.buf.length)
      throw new StateCodecError(`${this.buf.length - this.pos} trailing bytes after the state`);
  }
}

function writeVec(w: Writer, v: DecayedVectorState, dim: number, what: string): void {
  if (v.sum.length !== dim) throw new StateCodecError(`${what} has dimension ${v.sum.length}, state has ${dim}`);
  w.f64(v.halfLifeMs);
  w.f64(v.weight);
  w.f64(v.refTime);
  const hasSum = !hasSharedZeroSum(v) && !v.sum.every((x) => Object.is(x, 0));
  w.u8(hasSum ? 1 : 0);
  if (hasSum) w.f32s(v.sum);
}

function readVec(r: Reader, dim: number, what: string, version: number): DecayedVectorState {
  const halfLifeMs = r.f64(what);
  const weight = r.f64(what);
  const refTime = r.f64(what);
  if (version < 3) return { halfLifeMs, sum: r.f64sAsF32(dim, what), weight, refTime };
  const hasSum = r.u8(what);
  if (hasSum !== 0 && hasSum !== 1) throw new StateCodecError(`bad vector flag ${hasSum} in ${what}`);
  return { halfLifeMs, sum: hasSum ? r.f32s(dim, what) : zeroSum(dim), weight, refTime };
}

function writeScalar(w: Writer, s: DecayedScalarState): void {
  w.f64(s.halfLifeMs);
  w.f64(s.value);
  w.f64(s.refTime);
}

function readScalar(r: Reader, what: string): DecayedScalarState {
  const halfLifeMs = r.f64(what);
  const value = r.f64(what);
  return { halfLifeMs, value, refTime: r.f64(what) };
}

export function encodeState(state: ProfileState): Buffer {
  const w = new Writer();
  w.u8(STATE_CODEC_VERSION);
  w.str(state.userId);
  w.str(state.modelId);
  w.u32(state.dim);

  const horizonNames = sortedKeys(state.horizons);
  w.u32(horizonNames.length);
  for (const name of horizonNames) {
    w.str(name);
    writeVec(w, state.horizons[name]!, state.dim, `horizon ${name}`);
  }
  for (const ch of FUSION_CHANNELS) writeVec(w, state.channels[ch], state.dim, `channel ${ch}`);
  writeVec(w, state.negative, state.dim, 'negative');

  const counterKeys = sortedKeys(state.counters);
  w.u32(counterKeys.length);
  for (const k of counterKeys) {
    const c = state.counters[k]!;
    w.str(c.channel);
    if (c.action === null) w.u8(0);
    else {
      w.u8(1);
      w.str(c.action);
    }
    w.f64(c.total);
    writeScalar(w, c.decayed);
  }
  w.f64(state.ratingSum);
  w.f64(state.ratingCount);

  const labels = sortedKeys(state.categoryAffinity);
  w.u32(labels.length);
  for (const l of labels) {
    w.str(l);
    writeScalar(w, state.categoryAffinity[l]!);
  }
  w.f64(state.firstEventAt);
  w.f64(state.lastEventAt);
  w.f64(state.eventCount);

  const partitions = sortedKeys(state.appliedOffsets);
  w.u32(partitions.length);
  for (const p of partitions) {
    w.str(p);
    w.str(state.appliedOffsets[p]!);
  }
  w.f64(state.sentiment.positive);
  w.f64(state.sentiment.negative);
  writeScalar(w, state.sentiment.probability);
  writeScalar(w, state.sentiment.scored);
  w.u32(state.recentTexts.length);
  for (const t of state.recentTexts) {
    w.str(t.hash);
    w.f64(t.at);
  }
  const attributeNames = sortedKeys(state.attributes);
  w.u32(attributeNames.length);
  for (const name of attributeNames) {
    const a = state.attributes[name]!;
    w.str(name);
    w.f64(a.at);
    writeAttributeValue(w, a.value, name);
  }
  w.u32(state.interestClusters.length);
  state.interestClusters.forEach((c, i) => {
    writeVec(w, c.vector, state.dim, `interest cluster ${i}`);
    w.f64(c.lastActivityAt);
    w.f64(c.events);
    w.u32(c.categories.length);
    for (const x of c.categories) {
      w.str(x.label);
      writeScalar(w, x.weight);
    }
  });
  return w.done();
}

function writeAttributeValue(w: Writer, v: AttributeState['value'], name: string): void {
  if (v === null) w.u8(0);
  else if (typeof v === 'string') {
    w.u8(1);
    w.str(v);
  } else if (typeof v === 'number') {
    w.u8(2);
    w.f64(v);
  } else if (typeof v === 'boolean') {
    w.u8(3);
    w.u8(v ? 1 : 0);
  } else if (Array.isArray(v)) {
    w.u8(4);
    w.u32(v.length);
    for (const x of v) w.str(x);
  } else throw new StateCodecError(`attribute ${name} has a value of unknown type`);
}

function readAttributeValue(r: Reader, name: string): AttributeState['value'] {
  const kind = r.u8(`attribute ${name}`);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.str(`attribute ${name}`);
    case 2:
      return r.f64(`attribute ${name}`);
    case 3: {
      const b = r.u8(`attribute ${name}`);
      if (b > 1) throw new StateCodecError(`bad boolean ${b} in attribute ${name}`);
      return b === 1;
    }
    case 4: {
      const n = r.count(4, `attribute ${name} items`);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(r.str(`attribute ${name}`));
      return out;
    }
    default:
      throw new StateCodecError(`unknown attribute kind ${kind} in attribute ${name}`);
  }
}

const OFFSET_RE = /^(0|[1-9][0-9]*)$/;

export function decodeState(buf: Uint8Array): ProfileState {
  const r = new Reader(buf);
  const version = r.u8('version');
  if (!READABLE_VERSIONS.includes(version))
    throw new StateCodecError(`unknown state version ${version} (this build reads ${READABLE_VERSIONS.join(', ')})`);
  const userId = r.str('userId');
  const modelId = r.str('modelId');
  const dim = r.u32('dim');
  if (dim === 0) throw new StateCodecError('state dim is 0');
  const vecBytes = version < 3 ? 24 + dim * 8 : 25;

  const horizons = dict<DecayedVectorState>();
  const nh = r.count(4 + vecBytes, 'horizons');
  for (let i = 0; i < nh; i++) {
    const name = r.str('horizon name');
    if (getEntry(horizons, name)) throw new StateCodecError(`horizon ${name} appears twice`);
    setEntry(horizons, name, readVec(r, dim, `horizon ${name}`, version));
  }
  const review = readVec(r, dim, 'channel review', version);
  const post = readVec(r, dim, 'channel post', version);
  const click = readVec(r, dim, 'channel click', version);
  const negative = readVec(r, dim, 'negative', version);

  const counters = dict<CounterState>();
  const nc = r.count(4 + 1 + 32, 'counters');
  for (let i = 0; i < nc; i++) {
    const channel = r.str('counter channel');
    if (!FUSION_CHANNELS.includes(channel as FusionChannel))
      throw new StateCodecError(`unknown counter channel ${channel}`);
    let action: ClickAction | null = null;
    const hasAction = r.u8('counter action flag');
    if (hasAction === 1) {
      const a = r.str('counter action');
      if (!CLICK_ACTIONS.includes(a as ClickAction)) throw new StateCodecError(`unknown counter action ${a}`);
      action = a as ClickAction;
    } else if (hasAction !== 0) throw new StateCodecError(`bad counter action flag ${hasAction}`);
    const total = r.f64('counter total');
    const decayed = readScalar(r, 'counter');
    const key = action === null ? channel : `${channel}:${action}`;
    if (getEntry(counters, key)) throw new StateCodecError(`counter ${key} appears twice`);
    setEntry(counters, key, { channel: channel as FusionChannel, action, total, decayed });
  }
  const ratingSum = r.f64('ratingSum');
  const ratingCount = r.f64('ratingCount');

  const categoryAffinity = dict<DecayedScalarState>();
  const na = r.count(4 + 24, 'categories');
  for (let i = 0; i < na; i++) {
    const label = r.str('category');
    if (getEntry(categoryAffinity, label)) throw new StateCodecError(`category ${label} appears twice`);
    setEntry(categoryAffinity, label, readScalar(r, `category ${label}`));
  }
  const firstEventAt = r.f64('firstEventAt');
  const lastEventAt = r.f64('lastEventAt');
  const eventCount = r.f64('eventCount');

  const appliedOffsets = dict<string>();
  const no = r.count(8, 'applied offsets');
  for (let i = 0; i < no; i++) {
    const key = r.str('partition');
    const offset = r.str('offset');
    if (!OFFSET_RE.test(offset))
      throw new StateCodecError(`applied offset ${JSON.stringify(offset)} for ${key} is not a decimal integer`);
    if (getEntry(appliedOffsets, key) !== undefined) throw new StateCodecError(`partition ${key} appears twice`);
    setEntry(appliedOffsets, key, offset);
  }
  const sentiment =
    version >= 2
      ? {
          positive: r.f64('sentiment positive'),
          negative: r.f64('sentiment negative'),
          probability: readScalar(r, 'sentiment probability'),
          scored: readScalar(r, 'sentiment scored'),
        }
      : emptySentiment(negative.halfLifeMs);
  const recentTexts: RecentText[] = [];
  if (version >= 3) {
    const n = r.count(12, 'recent texts');
    for (let i = 0; i < n; i++) recentTexts.push({ hash: r.str('recent text hash'), at: r.f64('recent text time') });
  }
  const attributes = dict<AttributeState>() as Dict<AttributeState>;
  if (version >= 4) {
    const n = r.count(4 + 8 + 1, 'attributes');
    for (let i = 0; i < n; i++) {
      const name = r.str('attribute name');
      const at = r.f64(`attribute ${name} time`);
      if (getEntry(attributes, name)) throw new StateCodecError(`attribute ${name} appears twice`);
      setEntry(attributes, name, { at, value: readAttributeValue(r, name) });
    }
  }
  const interestClusters: InterestClusterState[] = [];
  if (version >= 5) {
    const n = r.count(25 + 20, 'interest clusters');
    for (let i = 0; i < n; i++) {
      const vector = readVec(r, dim, `interest cluster ${i}`, version);
      const lastActivityAt = r.f64(`interest cluster ${i}`);
      const events = r.f64(`interest cluster ${i}`);
      const categories: ClusterCategory[] = [];
      const m = r.count(4 + 24, `interest cluster ${i} categories`);
      for (let j = 0; j < m; j++)
        categories.push({ label: r.str('cluster category'), weight: readScalar(r, 'cluster category') });
      interestClusters.push({ vector, lastActivityAt, events, categories });
    }
  }
  r.end();

  return {
    userId,
    modelId,
    dim,
    horizons,
    channels: { review, post, click },
    negative,
    counters,
    ratingSum,
    ratingCount,
    categoryAffinity,
    sentiment,
    firstEventAt,
    lastEventAt,
    eventCount,
    appliedOffsets,
    recentTexts,
    attributes,
    interestClusters,
  };
}
