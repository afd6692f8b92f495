import { TrainingError } from '@profilestream/learning';

/** Bad training input or options (empty split, one class only, wrong dimensions, non-finite values). */
export class SentimentTrainingError extends TrainingError {
  override readonly name = 'SentimentTrainingError';
}

/** A classifier artefact that cannot be used: unknown format or version, missing or inconsistent fields. */
export class SentimentModelError extends Error {
  override readonly name = 'SentimentModelError';
}
