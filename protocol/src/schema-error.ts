// One-line messages for configuration errors: the path of the bad key, what is wrong, and the value found.
import type { ErrorObject } from 'ajv';

export function formatSchemaError(e: ErrorObject, doc: unknown, source: string): string {
  const path = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
  const value = e.instancePath ? e.instancePath.split('/').slice(1).reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], doc) : undefined;
  const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
  const allowed = e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
  const shown = value !== undefined && e.keyword !== 'additionalProperties' && e.keyword !== 'required' ? `, got ${JSON.stringify(value)}` : '';
  return `${source}: ${path} ${e.message}${extra}${allowed}${shown}`;
}
