import { renderGoTemplate } from '../template/go-template.ts';
import { GoNil, GoTime } from '../template/go-values.ts';
import type { InspectResult } from './inspect.ts';

/**
 * `inspect --format TEMPLATE`: the inspect result seen as skopeo's Go struct
 * (every field present, `Labels` a map, `Created` a time), rendered with
 * ferry's Go template subset.
 */

function stringMap(record: Record<string, string> | null | undefined): Map<string, string> | GoNil {
  return record ? new Map(Object.entries(record)) : new GoNil('map');
}

/** skopeo's inspect output struct, for templates. `toJSON` gives what `ferry inspect` prints, maps in key order. */
class InspectView {
  Name: string;
  Digest: string;
  RepoTags: string[];
  Created: GoTime | null;
  DockerVersion: string;
  Labels: Map<string, string> | GoNil;
  Architecture: string;
  Variant: string;
  Os: string;
  Layers: string[];
  LayersData: { MIMEType: string; Digest: string; Size: number; Annotations: Map<string, string> | GoNil }[];
  Env: string[] | GoNil;
  readonly #result: InspectResult;

  constructor(result: InspectResult) {
    this.#result = result;
    this.Name = result.Name ?? '';
    this.Digest = result.Digest;
    this.RepoTags = result.RepoTags;
    this.Created = result.Created !== undefined ? new GoTime(result.Created) : null;
    this.DockerVersion = result.DockerVersion;
    this.Labels = stringMap(result.Labels);
    this.Architecture = result.Architecture;
    this.Variant = result.Variant ?? '';
    this.Os = result.Os;
    this.Layers = result.Layers;
    this.LayersData = result.LayersData.map((l) => ({ MIMEType: l.MIMEType, Digest: l.Digest, Size: l.Size, Annotations: stringMap(l.Annotations) }));
    this.Env = result.Env ?? new GoNil('slice');
  }

  toJSON(): unknown {
    return {
      ...this.#result,
      Labels: this.Labels,
      LayersData: this.LayersData,
    };
  }
}

/**
 * skopeo's (containers/common's) preparation of a `--format` value: the
 * escapes `\t` and `\n` typed on a command line become a tab and a newline,
 * and the output ends with a newline unless the template already does.
 */
export function normalizeFormat(format: string): string {
  const text = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Renders `format` over an inspect result as `skopeo inspect --format` does.
 *
 * @throws FerryError `USAGE` naming `--format` for a syntax error, an unsupported construct or a missing field.
 */
export function formatInspect(result: InspectResult, format: string): string {
  return renderGoTemplate(normalizeFormat(format), new InspectView(result), '--format');
}
