export { startServer, parseAddr, DEFAULT_ADDR, DEFAULT_SHUTDOWN_TIMEOUT_MS } from './server.ts';
export type { ServeOptions, RunningServer } from './server.ts';
export { formatLogEvent } from './access-log.ts';
export { defaultStorageDir } from './default-storage.ts';
export type { ServerLogEvent, LogFormat } from './access-log.ts';
