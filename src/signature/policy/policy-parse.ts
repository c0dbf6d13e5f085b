import type { ZodError } from 'zod';
import { FerryError } from '../../errors.ts';
import { policySchema, type PolicyFile } from './policy-format.ts';

/** `$.transports.docker["quay.io/ns"][0].keyPath`: where in the file a problem is. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '$';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** The first problems of a zod failure, one per line, each with its JSON path. */
export function describeIssues(file: string, issues: ZodError['issues']): string {
  const lines = issues.slice(0, 5).map((issue) => `${file}: ${jsonPath(issue.path)}: ${issue.message}`);
  if (issues.length > 5) lines.push(`… and ${issues.length - 5} more`);
  return lines.join('\n');
}

/**
 * Parses and validates a whole policy document up front.
 *
 * @throws FerryError `INVALID_CONFIG` naming the file and the JSON path of each problem.
 */
export function parsePolicy(text: string, file: string): PolicyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FerryError('INVALID_CONFIG', `${file}: not valid JSON (${(error as Error).message})`, { hint: 'see containers-policy.json(5)' });
  }
  const result = policySchema.safeParse(json);
  if (!result.success) {
    throw new FerryError('INVALID_CONFIG', `invalid signature policy ${describeIssues(file, result.error.issues)}`, { hint: 'see containers-policy.json(5)' });
  }
  return result.data;
}
