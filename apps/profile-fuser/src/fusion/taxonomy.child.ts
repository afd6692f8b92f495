/**
 * Child process of embedTaxonomyInChild: loads the model, embeds the taxonomy, sends the vectors
 * back and exits, so the model's native memory leaves with it.
 */
import { loadModelBundle, loadProjection } from '@profilestream/inference';
import { embedTaxonomy } from './taxonomy';

interface Request {
  file: string;
  modelDir: string;
  variant: 'fp32' | 'int8';
  projectionFile: string | null;
}

process.once('message', (request: Request) => {
  void (async () => {
    try {
      const bundle = await loadModelBundle(request.modelDir, request.variant);
      const projection = request.projectionFile ? loadProjection(request.projectionFile, bundle.modelId) : null;
      const labels = await embedTaxonomy(request.file, bundle, projection);
      process.send!(
        {
          ok: true,
          labels: labels.map((l) => ({
            label: l.label,
            vector: Buffer.from(l.vector.buffer, l.vector.byteOffset, l.vector.byteLength).toString('base64'),
          })),
        },
        () => process.exit(0),
      );
    } catch (err) {
      process.send!({ ok: false, error: err instanceof Error ? err.message : String(err) }, () => process.exit(1));
    }
  })();
});
