/** Bad training input or options (one class only, wrong dimensions, non-finite values). */
export class TrainingError extends Error {
  override readonly name: string = 'TrainingError';
}
