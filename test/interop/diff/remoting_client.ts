// A small RocketMQ remoting client for the differential test: one TCP connection per simulated
// broker or client, commands encoded with the project's codec (src/protocol/remoting), responses
// matched to requests by opaque. Every wait has a deadline; a closed socket fails what is pending.
import * as net from "node:net";
import * as rm from "../../../src/protocol/remoting/index.js";
import { withDeadline } from "../../integration/helpers/wait.js";

/** Deadline of one request/response round trip. */
export const REQUEST_DEADLINE_MS = 10_000;
/** Deadline of a connect to 127.0.0.1. */
const CONNECT_DEADLINE_MS = 5_000;

/** What the caller chooses of a request; opaque and flag are the client's. */
export interface RequestInput {
  readonly code: number;
  readonly extFields: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
  /** MQVersion ordinal the sender claims (decides legacy vs standard route JSON at 401). */
  readonly version: number;
  readonly language?: number;
  readonly serializeType?: rm.SerializeType;
}

/** One connection that sends requests and matches responses by opaque. */
export class RemotingClient {
  private readonly decoder = new rm.RemotingFrameDecoder();
  private readonly pending = new Map<number, { resolve: (cmd: rm.RemotingCommand) => void; reject: (error: Error) => void }>();
  private nextOpaque = 1;
  private closedError: Error | null = null;
  readonly closed: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly socket: net.Socket,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      let commands: rm.RemotingCommand[];
      try {
        commands = this.decoder.push(chunk);
      } catch (error) {
        this.fail(new Error(`${name}: undecodable response frame: ${(error as Error).message}`, { cause: error }));
        socket.destroy();
        return;
      }
      for (const cmd of commands) {
        if (!rm.isResponse(cmd)) continue;
        const waiter = this.pending.get(cmd.opaque);
        if (waiter === undefined) continue;
        this.pending.delete(cmd.opaque);
        waiter.resolve(cmd);
      }
    });
    socket.on("error", (error) => this.fail(new Error(`${name}: socket error: ${error.message}`, { cause: error })));
    socket.on("close", () => this.fail(new Error(`${name}: connection closed`)));
  }

  /** Connects to 127.0.0.1:port. */
  static async connect(name: string, port: number): Promise<RemotingClient> {
    const socket = net.connect({ host: "127.0.0.1", port });
    await withDeadline(
      `${name} connect to 127.0.0.1:${port}`,
      new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("error", reject);
      }),
      CONNECT_DEADLINE_MS,
    );
    return new RemotingClient(name, socket);
  }

  private command(input: RequestInput, flag: number): rm.RemotingCommand {
    const cmd: rm.RemotingCommand = {
      code: input.code,
      language: input.language ?? rm.LanguageCode.JAVA,
      version: input.version,
      opaque: this.nextOpaque++,
      flag,
      extFields: { ...input.extFields },
      serializeType: input.serializeType ?? rm.SerializeType.JSON,
    };
    if (input.body !== undefined) cmd.body = input.body;
    return cmd;
  }

  /** Sends a request and resolves with the response of the same opaque. */
  request(input: RequestInput): Promise<rm.RemotingCommand> {
    if (this.closedError) return Promise.reject(this.closedError);
    const cmd = this.command(input, 0);
    const answer = new Promise<rm.RemotingCommand>((resolve, reject) => this.pending.set(cmd.opaque, { resolve, reject }));
    this.socket.write(rm.encodeCommand(cmd));
    return withDeadline(`${this.name}: response to code ${cmd.code} (opaque ${cmd.opaque})`, answer, REQUEST_DEADLINE_MS);
  }

  /** Sends a oneway request (flag bit 1): the server answers nothing. */
  oneway(input: RequestInput): void {
    if (this.closedError) throw this.closedError;
    this.socket.write(rm.encodeCommand(this.command(input, rm.RemotingFlag.ONEWAY)));
  }

  /** Closes the connection and waits for the close. */
  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** One connection per actor name, opened on first use, all closed together. */
export class ClientPool {
  private readonly clients = new Map<string, Promise<RemotingClient>>();

  constructor(
    readonly label: string,
    readonly port: number,
  ) {}

  /** The connection of `actor`, connecting it the first time. */
  get(actor: string): Promise<RemotingClient> {
    let client = this.clients.get(actor);
    if (client === undefined) {
      client = RemotingClient.connect(`${this.label}/${actor}`, this.port);
      this.clients.set(actor, client);
      client.catch(() => this.clients.delete(actor));
    }
    return client;
  }

  /** Closes every connection whose actor name passes `filter` (all when absent). */
  async close(filter: (actor: string) => boolean = () => true): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [actor, client] of this.clients) {
      if (!filter(actor)) continue;
      this.clients.delete(actor);
      closing.push(client.then((c) => c.close(), () => undefined));
    }
    await Promise.all(closing);
  }
}
