import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FerryError } from '../../errors.ts';
import { describeIssues } from '../policy/policy-parse.ts';

/** One registries.d file, validated: containers-registries.d(5). */

const namespaceSchema = z
  .object({
    lookaside: z.string().optional(),
    'lookaside-staging': z.string().optional(),
    sigstore: z.string().optional(),
    'sigstore-staging': z.string().optional(),
    'use-sigstore-attachments': z.boolean().optional(),
    // The name containers/image used before 5.23.
    'use-cosign-attachments': z.boolean().optional(),
  })
  .nullable();

const fileSchema = z
  .object({
    'default-docker': namespaceSchema.optional(),
    docker: z.record(z.string(), namespaceSchema).nullable().optional(),
  })
  .nullable();

export type RegistryNamespace = NonNullable<z.infer<typeof namespaceSchema>>;
export type RegistriesDFile = z.infer<typeof fileSchema>;

/**
 * Parses one registries.d file.
 *
 * @throws FerryError `INVALID_CONFIG` naming the file (and key) of a malformed entry.
 */
export function parseRegistriesDFile(text: string, path: string): RegistriesDFile {
  let yaml: unknown;
  try {
    yaml = parseYaml(text);
  } catch (error) {
    throw new FerryError('INVALID_CONFIG', `${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = fileSchema.safeParse(yaml);
  if (!parsed.success) throw new FerryError('INVALID_CONFIG', `invalid registries.d file ${describeIssues(path, parsed.error.issues)}`, { hint: 'see containers-registries.d(5)' });
  return parsed.data;
}
