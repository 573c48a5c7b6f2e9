// Stub until the client engineer's client_commands.ts lands (that file replaces this one):
// registers the broker, route, cluster, topics and kv subcommands on the namesrv program.
import type { Command } from "commander";

/** Adds the client subcommands to the program; the stub adds none. */
export function registerClientCommands(program: Command): void {
  void program;
}
