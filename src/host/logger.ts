// The one pino setup of the server shell: JSON lines, fixed messages, variables in fields.
// Imports pino only; the CLI decides where lines go (stdout by default).
import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevelName } from "../config/config.js";

export type { Logger };

/** Builds the node logger; every line carries `nodeId`. */
export function createLogger(level: LogLevelName, nodeId: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { nodeId },
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.epochTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination({ dest: 1, sync: true }));
}
