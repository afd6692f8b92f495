import { parseModelManifest, spaceKey } from './embedding-space';

describe('model manifest', () => {
  const written = {
    name: 'tiny',
    pooling: 'mean',
    normalize: true,
    maxTokens: 128,
    outputName: 'last_hidden_state',
    dimension: 64,
  };

  it('applies the defaults the toolchain may leave out', () => {
    const m = parseModelManifest(written, 'm.json');
    expect(m.prefix).toBe('');
    expect(m.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(m.license).toBeUndefined();
  });

  it('names the source and every invalid field', () => {
    expect(() =>
      parseModelManifest({ ...written, pooling: 'max', dimension: 0 }, 'dir/profilestream-model.json'),
    ).toThrow(/^dir\/profilestream-model\.json is invalid: pooling: .*; dimension: /);
    expect(() => parseModelManifest(null, 'x.json')).toThrow(/x\.json is invalid: \(root\)/);
  });
});

describe('spaceKey', () => {
  it('names the model alone, or the model plus its projection', () => {
    expect(spaceKey({ modelId: 'm@1a2b3c4d', projectionId: null })).toBe('m@1a2b3c4d');
    expect(spaceKey({ modelId: 'm@1a2b3c4d', projectionId: 'pca128-99' })).toBe('m@1a2b3c4d+pca128-99');
  });
});
