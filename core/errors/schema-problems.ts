import type { ErrorObject } from 'ajv';

/**
 * The message annotations a schema may carry; ajv's strict mode must know them
 * (`ajv.addVocabulary(MESSAGE_KEYWORDS)`), and ajv must run `verbose` so errors carry their schema.
 */
export const MESSAGE_KEYWORDS = ['x-message', 'x-not-message'];

/** One thing wrong with a document, at a JSON Pointer (`/` for the document itself). */
export interface SchemaProblem {
  path: string;
  message: string;
}

/**
 * ajv's errors as short messages a person can act on, one per path and message. A schema may
 * word its own `pattern` / `not` failures with an `x-message` next to the keyword (or
 * `x-not-message`, when the same schema also has a `pattern`).
 */
export function describeSchemaErrors(errors: readonly ErrorObject[]): SchemaProblem[] {
  // ajv adds a generic "property name must be valid" after each specific property-name error.
  const specific = errors.some((error) => error.propertyName !== undefined);
  const problems = errors
    .filter((error) => !(specific && error.keyword === 'propertyNames'))
    .map((error) => ({ path: error.instancePath || '/', message: describe(error) }));
  const unique = new Map(problems.map((problem) => [`${problem.path}\u0000${problem.message}`, problem]));
  return [...unique.values()];
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as Record<string, unknown> | undefined;
  const custom = (error.keyword === 'not' ? parent?.['x-not-message'] : undefined) ?? parent?.['x-message'];
  const worded = (error.keyword === 'pattern' || error.keyword === 'not') && typeof custom === 'string';
  const base = worded ? custom : (error.message ?? `fails ${error.keyword}`);
  if (error.propertyName !== undefined) return `property name ${JSON.stringify(error.propertyName)} ${base}`;
  switch (error.keyword) {
    case 'additionalProperties':
      return `has unknown property ${JSON.stringify(params.additionalProperty)}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'not':
      return worded ? base : 'matches a form that is not allowed';
    default:
      return base;
  }
}
