import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The service's logger. JSON lines on stdout for the service; on stderr for the stdio MCP server,
 * whose stdout belongs to the protocol.
 */
export function createLogger(options: { level: string; destination?: 'stdout' | 'stderr' }): Logger {
  const fd = options.destination === 'stderr' ? 2 : 1;
  return pino({ level: options.level, base: undefined, redact: ['*.authorization', '*.apiKey'] }, pino.destination({ fd, sync: false }));
}
