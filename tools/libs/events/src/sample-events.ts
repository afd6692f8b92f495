/**
 * A built-in feed of sample events: simulated users with interests over a small catalogue of
 * musical gear, writing reviews and posts (English and Chinese, sometimes with markup, personal
 * data, repeats or noise) and clicking on items. Deterministic for a given seed.
 */
import type { ClickAction, ItemInput, UserAttributesInput } from '@profilestream/contracts';
import { seededRandom } from '@profilestream/embedding';
import type { PlatformEvent } from '@profilestream/event-producer';

/** What users do in the feed (the catalogue comes separately; the feed never erases users). */
export type SampleEvent = Extract<PlatformEvent, { kind: 'review' | 'post' | 'click' }>;

interface Interest {
  category: string;
  en: { nouns: string[]; praise: string[]; gripes: string[] };
  zh: { nouns: string[]; praise: string[]; gripes: string[] };
}

const INTERESTS: Interest[] = [
  {
    category: 'guitars',
    en: {
      nouns: ['acoustic guitar', 'guitar strings', 'capo', 'guitar strap', 'electric guitar'],
      praise: ['sounds warm and bright', 'stays in tune for weeks', 'feels great under the fingers'],
      gripes: ['buzzes on the high frets', 'the finish chipped after a month'],
    },
    zh: {
      nouns: ['吉他', '吉他弦', '变调夹', '电吉他'],
      praise: ['音色温暖明亮', '音准很稳定', '手感非常好'],
      gripes: ['高把位有打品', '用了一个月漆就掉了'],
    },
  },
  {
    category: 'drums',
    en: {
      nouns: ['snare drum', 'drum sticks', 'cymbal', 'practice pad'],
      praise: ['has a crisp attack', 'is loud without being harsh', 'survived a whole tour'],
      gripes: ['the sticks splintered quickly', 'rattles at low volume'],
    },
    zh: {
      nouns: ['军鼓', '鼓棒', '镲片', '哑鼓垫'],
      praise: ['声音清脆有力', '练习效果很好'],
      gripes: ['鼓棒很快就裂了', '小音量时有杂音'],
    },
  },
  {
    category: 'keyboards',
    en: {
      nouns: ['digital piano', 'MIDI keyboard', 'sustain pedal', 'synthesizer'],
      praise: ['has weighted keys that feel real', 'the presets are inspiring', 'works with every DAW I tried'],
      gripes: ['the pedal slides on wooden floors', 'the keys are noisy'],
    },
    zh: {
      nouns: ['电钢琴', 'MIDI键盘', '延音踏板', '合成器'],
      praise: ['配重键手感很真实', '音色预设很有灵感'],
      gripes: ['踏板在木地板上会滑', '按键声音有点大'],
    },
  },
  {
    category: 'recording',
    en: {
      nouns: ['condenser microphone', 'audio interface', 'pop filter', 'studio headphones'],
      praise: ['captures vocals with real detail', 'has almost no latency', 'is comfortable for long sessions'],
      gripes: ['picks up too much room noise', 'the driver crashed twice'],
    },
    zh: {
      nouns: ['电容麦克风', '声卡', '防喷罩', '监听耳机'],
      praise: ['录人声细节丰富', '延迟几乎感觉不到'],
      gripes: ['环境噪音收得太多', '驱动崩溃了两次'],
    },
  },
];

export interface SampleFeedOptions {
  users: number;
  seed: number;
}

interface CatalogueEntry {
  itemId: string;
  interest: Interest;
  noun: string;
  zh: boolean;
}

export class SampleFeed {
  private readonly random: () => number;
  private readonly items: CatalogueEntry[] = [];
  private readonly userInterests: Interest[][] = [];
  private readonly lastText = new Map<string, { text: string; item: CatalogueEntry }>();
  private seq = 0;

  constructor(private readonly options: SampleFeedOptions) {
    this.random = seededRandom(options.seed); // the same seed gives the same stream
    for (const interest of INTERESTS) {
      interest.en.nouns.forEach((noun, i) =>
        this.items.push({ itemId: `${interest.category}-${i}`, interest, noun, zh: false }),
      );
      interest.zh.nouns.forEach((noun, i) =>
        this.items.push({ itemId: `${interest.category}-zh-${i}`, interest, noun, zh: true }),
      );
    }
    for (let u = 0; u < options.users; u++) {
      const first = INTERESTS[u % INTERESTS.length]!;
      const second = INTERESTS[(u * 7 + 3) % INTERESTS.length]!;
      this.userInterests.push(first === second ? [first] : [first, second]);
    }
  }

  /** The catalogue, to publish once before the stream. */
  catalogue(now: number): ItemInput[] {
    return this.items.map(({ itemId, interest, noun, zh }) => ({
      itemId,
      title: zh ? noun : capitalise(noun),
      description: zh
        ? `${noun}，${this.pick(interest.zh.praise)}。`
        : `A ${noun} that ${this.pick(interest.en.praise)}.`,
      categories: [interest.category],
      occurredAt: now,
    }));
  }

  /**
   * What the platform knows about each simulated user, to publish once before the stream (users.v1):
   * a country and languages, an age band and gender (sensitive: kept, not published by default),
   * an account type and a custom loyalty tier.
   */
  users(now: number): UserAttributesInput[] {
    const places = [
      { country: 'DE', languages: ['de', 'en'] },
      { country: 'CN', languages: ['zh'] },
      { country: 'US', languages: ['en'] },
      { country: 'FR', languages: ['fr', 'en'] },
    ];
    return this.userInterests.map((_, u) => {
      const place = places[u % places.length]!;
      return {
        userId: `user-${String(u).padStart(4, '0')}`,
        occurredAt: now,
        country: place.country,
        languages: place.languages,
        ageBand: this.pick(['18-24', '25-34', '35-44', '45-54']),
        gender: this.pick(['f', 'm', 'x']),
        accountType: this.pick(['free', 'free', 'premium']),
        custom: { loyaltyTier: this.pick(['bronze', 'silver', 'gold']) },
      };
    });
  }

  /** The next event of the stream, timed `now`. */
  next(now: number): SampleEvent {
    const userIndex = Math.floor(this.random() * this.options.users);
    const userId = `user-${String(userIndex).padStart(4, '0')}`;
    const interest = this.pick(this.userInterests[userIndex]!);
    let item = this.pick(this.items.filter((i) => i.interest === interest));
    const eventId = `sample-${this.options.seed}-${this.seq++}`;
    const roll = this.random();
    if (roll < 0.55) {
      const actions: ClickAction[] = ['view', 'view', 'view', 'click', 'click', 'like', 'add_to_cart', 'purchase'];
      return {
        kind: 'click',
        value: {
          eventId,
          userId,
          itemId: item.itemId,
          action: this.pick(actions),
          dwellMs: Math.round(this.random() * 60_000),
          platform: 'demo-shop',
          occurredAt: now,
        },
      };
    }
    const zh = item.zh || this.random() < 0.2;
    const positive = this.random() < 0.8;
    const side = zh ? interest.zh : interest.en;
    let text = zh
      ? `这个${item.noun}${positive ? this.pick(side.praise) : this.pick(side.gripes)}。`
      : `This ${item.noun} ${positive ? this.pick(side.praise) : this.pick(side.gripes)}.`;
    text = this.decorate(text, zh);
    // A double submit: the same text about the same item again.
    const last = this.lastText.get(userId);
    if (this.random() < 0.05 && last) [text, item] = [last.text, last.item];
    this.lastText.set(userId, { text, item });
    if (roll < 0.85) {
      return {
        kind: 'review',
        value: {
          eventId,
          userId,
          itemId: item.itemId,
          text,
          rating: positive ? 4 + Math.round(this.random()) : 1 + Math.round(this.random()),
          platform: 'demo-shop',
          occurredAt: now,
        },
      };
    }
    return {
      kind: 'post',
      value: { eventId, userId, text, tags: [interest.category], platform: 'demo-forum', occurredAt: now },
    };
  }

  /** Adds what real user text carries: markup, contact details, shouting, emoji. */
  private decorate(text: string, zh: boolean): string {
    const r = this.random();
    if (r < 0.08)
      return `${text} ${zh ? '有问题加我微信或打 138' + String(10000000 + Math.floor(this.random() * 89999999)) : 'Questions? mail me at player' + Math.floor(this.random() * 1000) + '@example.com'}`;
    if (r < 0.14) return `<p>${text} <b>${zh ? '强烈推荐' : 'Highly recommended'}</b>!!!!!!</p>`;
    if (r < 0.18) return `${text} 🎸🎸🎸🎸🎸🎸`;
    if (r < 0.2) return '!!!???';
    return text;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
