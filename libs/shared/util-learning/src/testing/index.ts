// Test helpers (synthetic problems with known answers), for this library's specs and its users' specs.
import type { Dataset } from '../logistic';
import { seededRandom } from '@profilestream/embedding';

export function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

/** n rows x ~ N(0, I) labelled by Bernoulli(σ(w·x + b)): a problem whose true parameters are known. */
export function logisticProblem(n: number, w: number[], b: number, seed: number): Dataset {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const dim = w.length;
  const vectors = new Float64Array(n * dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let z = b;
    for (let j = 0; j < dim; j++) {
      const x = normal();
      vectors[i * dim + j] = x;
      z += w[j]! * x;
    }
    labels[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { dim, vectors, labels };
}

/** Two overlapping Gaussian classes along the first axis; `positiveShare` of the rows are positive. */
export function imbalancedProblem(
  n: number,
  dim: number,
  positiveShare: number,
  separation: number,
  seed: number,
): Dataset {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const vectors = new Float64Array(n * dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = random() < positiveShare ? 1 : 0;
    labels[i] = y;
    for (let j = 0; j < dim; j++)
      vectors[i * dim + j] = normal() + (j === 0 ? (y === 1 ? separation / 2 : -separation / 2) : 0);
  }
  return { dim, vectors, labels };
}

export function rows(d: Dataset, from: number, to: number): Dataset {
  return { dim: d.dim, vectors: d.vectors.slice(from * d.dim, to * d.dim), labels: d.labels.slice(from, to) };
}
