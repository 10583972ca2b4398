import type { LoggerService } from '@nestjs/common';
import type { Level, Logger as PinoLogger } from 'pino';

/**
 * Nest's own log lines (start-up, the router map, ProblemFilter) as pino JSON lines, with the
 * logger's context in `context`. Nest calls a LoggerService as `(message, ...params, context)`:
 * the message may be an object of fields (then the first string param is the text), an Error, or
 * a string (then, for errors, a further string param is the stack).
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  // Nest's level names against pino's: Nest's `verbose` is pino's `trace`.
  readonly log = this.at('info');
  readonly error = this.at('error');
  readonly warn = this.at('warn');
  readonly debug = this.at('debug');
  readonly verbose = this.at('trace');
  readonly fatal = this.at('fatal');

  private at(level: Level) {
    return (message: unknown, ...params: unknown[]): void => this.write(level, message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]) {
    if (!this.root.isLevelEnabled(level)) return;
    const rest = [...params];
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? rest.pop() : undefined;
    const fields: Record<string, unknown> = { context };
    let text: string | undefined;
    if (message instanceof Error) {
      fields.err = message;
      text = message.message;
    } else if (message && typeof message === 'object') {
      Object.assign(fields, message);
      text = typeof rest[0] === 'string' ? (rest.shift() as string) : undefined;
    } else {
      text = String(message);
      if (level === 'error' && typeof rest[0] === 'string') fields.stack = rest.shift();
    }
    this.root[level](fields, text);
  }
}
