import { destinationFor } from '../select/destination.ts';
import type { SourceRule } from './sync-spec.ts';

/**
 * Names every explicitly selected image (or a probe tag for a repository
 * whose tags are listed later) at every destination, so naming problems
 * (`--scoped` with a registry port, a suffix on a digest, too deep a
 * flattening) are reported before anything is copied.
 */
export function checkRule(rule: SourceRule): void {
  if (rule.source.kind !== 'repository' && rule.source.kind !== 'engine') return;
  const { registry, repository } = rule.source;
  const images =
    rule.tags.kind === 'explicit'
      ? [...rule.tags.tags.map((tag) => ({ registry, repository, tag })), ...rule.tags.digests.map((digest) => ({ registry, repository, digest }))]
      : [{ registry, repository, tag: 'latest' }];
  for (const destination of rule.destinations) {
    for (const image of images) destinationFor(destination, image);
  }
}
