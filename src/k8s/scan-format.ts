import type { ScanResult } from './scan.ts';

/**
 * Renders a table: one row per image use, columns aligned, then any files
 * that could not be parsed. Object references that are not pull specs
 * (ImageStreamTag, ImageStreamImage) are marked with their kind.
 */
export function formatScanTable(result: ScanResult): string {
  const header = ['LOCATION', 'KIND', 'OBJECT', 'PATH', 'IMAGE'];
  const rows = result.uses.map((use) => [
    `${use.file}:${use.line}`,
    use.kind,
    use.namespace !== undefined ? `${use.namespace}/${use.name ?? ''}` : (use.name ?? ''),
    use.path,
    use.refKind === 'DockerImage' ? use.image : `${use.refKind} ${use.image}`,
  ]);
  let out = rows.length > 0 ? alignColumns([header, ...rows]) : 'no image references found\n';
  for (const error of result.errors) {
    const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
    out += `error: ${where}: ${error.message}\n`;
  }
  return out;
}

/** The scan result as indented JSON (stable field order), ending with a newline. */
export function formatScanJson(result: ScanResult): string {
  return `${JSON.stringify({ files: result.files, uses: result.uses, errors: result.errors }, null, 2)}\n`;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n')
    .concat('\n');
}
