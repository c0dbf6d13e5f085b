import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';
import UndiciAgent from 'undici/lib/dispatcher/agent.js';
import type * as Undici from 'undici';

/*
 * undici's connection pool without the rest of undici. Its index also loads
 * fetch, WebSocket, the caches and the mocks: about 70 ms of CPU on every
 * start of a CLI whose whole no-op sync takes a few hundred. The request
 * methods (`request`, `stream`, …) join the dispatcher prototype as undici's
 * index adds them; loading the index later changes nothing (same modules).
 * These are undici's internal paths, so package.json allows patch releases only.
 */
Object.assign(Dispatcher.prototype, api);

/** undici's `Agent`: one connection pool per origin. */
export const Agent = UndiciAgent;
export type Agent = Undici.Agent;

let shared: Undici.Dispatcher | undefined;

/** A process-wide agent for callers that bring none (undici's global dispatcher is a plain Agent too). */
export function sharedAgent(): Undici.Dispatcher {
  shared ??= new Agent();
  return shared;
}
