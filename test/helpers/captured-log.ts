/** A pino logger whose lines a test reads back, parsed, instead of printing them. */
import { pino, type Logger } from 'pino';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's numeric levels, for reading `LogLine.level`. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function capturedLog(level: pino.Level = 'debug'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

/** Whether the line names the job anywhere (its fields, nested objects, its message). */
export const mentions = (line: LogLine, jobId: string) => JSON.stringify(line).includes(jobId);
