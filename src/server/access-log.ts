/** Events the server reports through `onLog`; the library never writes to the console itself. */
export type ServerLogEvent =
  | { type: 'listening'; time: string; url: string; storage: string; readOnly: boolean; auth: boolean }
  | {
      type: 'request';
      time: string;
      method: string;
      /** Path and query; registry URLs carry no secrets (credentials travel in headers, which are never logged). */
      path: string;
      status: number;
      /** Response body bytes written (its Content-Length). */
      bytes: number;
      /** False when the connection ended before the whole response was sent. */
      complete?: boolean | undefined;
      durationMs: number;
      remote: string;
      user?: string | undefined;
      /** Error code answered, when the status is 4xx/5xx. */
      error?: string | undefined;
    }
  | { type: 'error'; time: string; message: string }
  | { type: 'shutdown'; time: string; inFlight: number };

export type LogFormat = 'text' | 'json';

/** One log line for an event: JSON (one object per line) or human-readable text. */
export function formatLogEvent(event: ServerLogEvent, format: LogFormat): string {
  if (format === 'json') return JSON.stringify(event);
  switch (event.type) {
    case 'listening':
      return `${event.time} serving ${event.storage} at ${event.url}${event.readOnly ? ' (read-only)' : ''}${event.auth ? ' (basic auth)' : ''}`;
    case 'request':
      return `${event.time} ${event.remote} ${event.user ?? '-'} "${event.method} ${event.path}" ${event.status} ${event.bytes} ${event.durationMs}ms${event.error ? ` ${event.error}` : ''}`;
    case 'error':
      return `${event.time} error: ${event.message}`;
    case 'shutdown':
      return `${event.time} shutting down (${event.inFlight} request${event.inFlight === 1 ? '' : 's'} in flight)`;
  }
}
