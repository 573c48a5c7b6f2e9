// JSON log lines: a pino logger that captures lines in memory, and a parser for a child's stdout.
import pino, { type Logger } from "pino";

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A logger writing JSON lines into `lines` (same format as the server's). */
export function captureLogger(level = "debug"): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level, messageKey: "msg", formatters: { level: (label: string) => ({ level: label }) } },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

/** Parses the complete JSON lines of a text; non-JSON lines are skipped. */
export function parseJsonLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      continue;
    }
  }
  return lines;
}

/** Lines with this msg. */
export function linesWith(lines: readonly LogLine[], msg: string): LogLine[] {
  return lines.filter((line) => line.msg === msg);
}
