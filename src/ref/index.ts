/** Image reference grammar and skopeo-style `transport:reference` parsing. Pure: no I/O. */
export {
  DEFAULT_REGISTRY,
  DEFAULT_TAG,
  familiarString,
  formatReference,
  parseReference,
  registryEndpoint,
  repositoryPath,
  withDefaultTag,
} from './reference.ts';
export type { ImageReference } from './reference.ts';
export { TRANSPORTS, formatTransportRef, parseTransportRef } from './transport-ref.ts';
export type { TransportRef } from './transport-ref.ts';
