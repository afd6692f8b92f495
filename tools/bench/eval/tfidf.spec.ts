import { SparseIndex, TfIdf, tokenize } from './tfidf';

describe('tokenize', () => {
  it('lower-cases words of two or more letters or digits, in any script', () => {
    expect(tokenize('Great STRINGS, a 9V battery & Ärger über Гитара')).toEqual([
      'great',
      'strings',
      '9v',
      'battery',
      'ärger',
      'über',
      'гитара',
    ]);
  });

  it('cuts Chinese and Japanese text into character bigrams, also inside mixed text', () => {
    expect(tokenize('这把吉他音色很好')).toEqual(['这把', '把吉', '吉他', '他音', '音色', '色很', '很好']);
    expect(tokenize('Yamaha吉他弦, 好! ギター')).toEqual(['yamaha', '吉他', '他弦', '好', 'ギタ', 'ター']);
    // Two reviews that share a word share a token, which whole clauses never did.
    const shared = (a: string, b: string) => tokenize(a).filter((t) => tokenize(b).includes(t));
    expect(shared('这把吉他音色很好', '吉他弦很快就断了')).toEqual(['吉他']);
  });
});

describe('TfIdf', () => {
  const docs = ['guitar strings guitar', 'drum sticks', 'guitar capo'];
  const tfidf = new TfIdf().fit(docs);

  it('weights terms by count and smoothed idf, L2-normalised', () => {
    // n = 3; idf(guitar) = ln(4/3) + 1, idf(strings) = ln(4/2) + 1.
    const v = tfidf.transform('guitar strings guitar');
    const g = 2 * (Math.log(4 / 3) + 1);
    const s = Math.log(2) + 1;
    const norm = Math.hypot(g, s);
    const weights = [...v.values()].sort((a, b) => a - b);
    expect(weights).toHaveLength(2);
    expect(weights[0]).toBeCloseTo(s / norm, 12);
    expect(weights[1]).toBeCloseTo(g / norm, 12);
  });

  it('ignores unknown words and ranks by cosine through the inverted index', () => {
    const index = new SparseIndex(docs.length);
    docs.forEach((d, i) => index.add(i, tfidf.transform(d)));
    const scores = index.scores(tfidf.transform('new guitar capo please'));
    expect(scores[2]).toBeGreaterThan(scores[0]!);
    expect(scores[1]).toBe(0);
    expect(index.scores(tfidf.transform('nothing known'))).toEqual(new Float64Array(3));
  });
});
