import { createRequire } from 'node:module';
import type * as Undici from 'undici';

/*
 * undici's connection pool without the rest of undici. Its index also loads
 * fetch, WebSocket, the caches and the mocks: about 70 ms of CPU on every
 * start of a CLI whose whole no-op sync takes a few hundred. The request
 * methods (`request`, `stream`, …) join the dispatcher prototype as undici's
 * index adds them; loading the index later changes nothing (same modules).
 */
const require = createRequire(import.meta.url);
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js') as object);

/** undici's `Agent`: one connection pool per origin. */
export const Agent = require('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;
export type Agent = Undici.Agent;

let shared: Undici.Dispatcher | undefined;

/** A process-wide agent for callers that bring none (undici's global dispatcher is a plain Agent too). */
export function sharedAgent(): Undici.Dispatcher {
  shared ??= new Agent();
  return shared;
}
