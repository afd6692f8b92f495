/**
 * Redaction alone, for services that redact values without cleaning text (profile-fuser's
 * attributes): the package's main entry also loads the language detector, about 25 MB of heap
 * that such a service would carry for nothing.
 */
export { redactPersonalData, type RedactionResult } from '../redact-personal-data';
export type { RedactionCounts, RedactionType } from '../cleaning-types';
