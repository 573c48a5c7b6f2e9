// Running the real Apache RocketMQ (Java, jars from Maven Central) next to our nodes: the
// classpath from test/interop/pom.xml, a Java NameServer, brokers, mqadmin and our small Java
// test programs (test/interop/src/main/java). Every process gets its own temp dir as
// rocketmq.home.dir and user.home, a small heap, and is tracked by pid: killAll() (also run
// on process exit) kills whatever is still running.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor, withDeadline } from "../../integration/helpers/wait.js";

/** test/interop, where pom.xml lives. */
export const INTEROP_DIR = fileURLToPath(new URL("..", import.meta.url));
/** Maven's build directory (gitignored): compiled programs and cached classpaths. */
export const TARGET_DIR = join(INTEROP_DIR, "target");

/** Which dependency set: the 5.x broker/namesrv/client/tools, or the 4.9.3 client alone. */
export type ClasspathProfile = "rocketmq5" | "client49";

/** Deadline of the Maven run (into an empty ~/.m2 it downloads about 131 MiB). */
const MAVEN_DEADLINE_MS = 10 * 60_000;
/** Deadline for a Java name server or broker to start. */
const JAVA_START_DEADLINE_MS = 90_000;
/** Deadline for a SIGTERM'd Java process to exit before it is killed. */
const JAVA_STOP_DEADLINE_MS = 30_000;
/** Deadline of one mqadmin command or one run of a test program. */
const JAVA_COMMAND_DEADLINE_MS = 60_000;
/** Output kept in memory per process (all of it also goes to a log file in its dir). */
const OUTPUT_KEEP_CHARS = 256 * 1024;

/** JVM flags every Java process gets. */
const JVM_FLAGS = [
  "-XX:+UseSerialGC",
  "-XX:MaxDirectMemorySize=256m",
  "-XX:-OmitStackTraceInFastThrow",
  "--add-opens", "java.base/java.nio=ALL-UNNAMED",
  "--add-opens", "java.base/java.lang=ALL-UNNAMED",
  "--add-opens", "java.base/java.util=ALL-UNNAMED",
  "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
  "-Djava.net.preferIPv4Stack=true",
];
/** Short-lived commands (mqadmin, test programs) start faster with the C1 compiler only. */
const COMMAND_JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-Xshare:auto"];

/** A Java process started by the harness. */
export interface JavaProcess {
  readonly name: string;
  readonly pid: number;
  /** The port it listens on (0 for programs that do not listen). */
  readonly port: number;
  /** Its temp dir: rocketmq.home.dir, user.home, store, logs and config files. */
  readonly dir: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far (the last OUTPUT_KEEP_CHARS). */
  output(): string;
  /** stdout alone so far. */
  stdout(): string;
  /** stderr alone so far. */
  stderr(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True while it runs. */
  running(): boolean;
  /** SIGTERM (a broker unregisters from its name servers), then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

/** A process killAll() must kill: the Java ones here, our nodes in cluster.ts. */
export interface TrackedProcess {
  readonly pid: number;
  running(): boolean;
  kill(): Promise<void>;
}

const started = new Set<TrackedProcess>();

/** Registers a process for killAll() until it exits. */
export function trackProcess(tracked: TrackedProcess, exited: Promise<unknown>): void {
  started.add(tracked);
  void exited.then(() => started.delete(tracked));
}

/** Temp dirs made by javaTempDir(), removed by killAll() unless INTEROP_KEEP_TMP=1. */
const tempDirs = new Set<string>();
/** The home of every mqadmin run (one temp dir, made at the first run). */
let mqadminDir: string | undefined;

/**
 * SIGKILLs every process the harness started that still runs (Java and our nodes), waits for
 * them, then removes the Java processes' temp dirs (stores, logs) unless INTEROP_KEEP_TMP=1.
 */
export async function killAll(): Promise<void> {
  const all = [...started];
  await Promise.all(all.map((tracked) => tracked.kill()));
  mqadminDir = undefined;
  if (process.env["INTEROP_KEEP_TMP"] === "1") {
    if (tempDirs.size > 0) console.log(`interop: kept ${[...tempDirs].join(" ")}`);
    return;
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.on("exit", () => {
  for (const tracked of started) {
    if (!tracked.running()) continue;
    try {
      process.kill(tracked.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

// ---------------------------------------------------------------------------------------
// Classpath

const classpaths = new Map<ClasspathProfile, Promise<string>>();

/**
 * The full classpath (our compiled programs first, then the RocketMQ jars) of a profile.
 * Runs `mvn -q compile dependency:build-classpath` once and caches the result under
 * test/interop/target/, keyed by a hash of pom.xml and the Java sources; later calls (and
 * later runs) reuse it. Maven uses ~/.m2; extra Maven arguments (for example
 * `-Dmaven.repo.local=...`) can be given in INTEROP_MVN_ARGS.
 */
export function javaClasspath(profile: ClasspathProfile = "rocketmq5"): Promise<string> {
  let cached = classpaths.get(profile);
  if (cached === undefined) {
    cached = buildClasspath(profile);
    classpaths.set(profile, cached);
    cached.catch(() => classpaths.delete(profile));
  }
  return cached;
}

function sourceStamp(profile: ClasspathProfile): string {
  const hash = createHash("sha256").update(profile).update(readFileSync(join(INTEROP_DIR, "pom.xml")));
  const sources = join(INTEROP_DIR, "src", "main", "java");
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".java")) hash.update(relative(sources, path)).update(readFileSync(path));
    }
  };
  walk(sources);
  return hash.digest("hex");
}

async function buildClasspath(profile: ClasspathProfile): Promise<string> {
  mkdirSync(TARGET_DIR, { recursive: true });
  const cacheFile = join(TARGET_DIR, `${profile}.classpath.json`);
  const stamp = sourceStamp(profile);
  const classesDir = profile === "rocketmq5" ? join(TARGET_DIR, "classes") : join(TARGET_DIR, "client49", "classes");
  const readCache = (): string | undefined => {
    if (!existsSync(cacheFile)) return undefined;
    try {
      const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as { stamp: string; classpath: string };
      // Stale if the sources changed, or a jar is gone from the Maven repository.
      if (cache.stamp !== stamp || !cache.classpath.split(":").every((entry) => existsSync(entry))) return undefined;
      return cache.classpath;
    } catch {
      return undefined;
    }
  };
  const hit = readCache();
  if (hit !== undefined) return hit;
  return withLock(join(TARGET_DIR, `${profile}.lock`), async () => {
    const again = readCache();
    if (again !== undefined) return again;
    const depsFile = join(TARGET_DIR, `${profile}.deps.txt`);
    const args = ["-B", "-q", "-f", join(INTEROP_DIR, "pom.xml")];
    if (profile === "client49") args.push("-Pclient49");
    args.push(...(process.env["INTEROP_MVN_ARGS"] ?? "").split(/\s+/).filter((arg) => arg !== ""));
    args.push("compile", "dependency:build-classpath", "-Dmdep.includeScope=runtime", `-Dmdep.outputFile=${depsFile}`);
    const began = Date.now();
    const result = await runProcess("mvn", args, { cwd: INTEROP_DIR, deadlineMs: MAVEN_DEADLINE_MS });
    if (result.code !== 0) throw new Error(`mvn ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    console.log(`interop: mvn (${profile}) resolved and compiled in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const classpath = [classesDir, readFileSync(depsFile, "utf8").trim()].join(":");
    const temp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ stamp, classpath }));
    renameSync(temp, cacheFile);
    return classpath;
  });
}

/** Runs `fn` holding a lock directory (another test process may build the same classpath). */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  await waitFor(`lock ${lockDir}`, () => {
    try {
      mkdirSync(lockDir);
      return true;
    } catch {
      // A lock older than the Maven deadline was left by a dead process.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > MAVEN_DEADLINE_MS) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // it went away meanwhile
      }
      return undefined;
    }
  }, MAVEN_DEADLINE_MS + 60_000);
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Processes

/** Runs a command to completion (killed at the deadline). */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd?: string; deadlineMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
  try {
    const code = await withDeadline(`${command} ${args.join(" ")}`, exited, options.deadlineMs ?? JAVA_COMMAND_DEADLINE_MS);
    return { code, stdout, stderr };
  } catch (error) {
    if (child.exitCode === null && child.pid !== undefined) child.kill("SIGKILL");
    throw error;
  }
}

/** A logback configuration (RocketMQ's shaded logback reads `rmq.logback.configurationFile`). */
function writeLogbackConfig(dir: string, level: string): string {
  const file = join(dir, "logback.xml");
  const log = join(dir, "logs", "rocketmq.log");
  writeFileSync(
    file,
    `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${log}</file>
    <encoder><pattern>%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger - %msg%n</pattern></encoder>
  </appender>
  <root level="${level}"><appender-ref ref="FILE"/></root>
</configuration>
`,
  );
  return file;
}

/** A fresh temp dir for one Java process. */
export function javaTempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `interop-${name.replace(/[^A-Za-z0-9_-]/g, "_")}-`));
  tempDirs.add(dir);
  return dir;
}

interface SpawnJavaOptions {
  name: string;
  mainClass: string;
  args: readonly string[];
  profile?: ClasspathProfile;
  heap?: string;
  port?: number;
  dir?: string;
  /** Extra -D properties. */
  props?: Record<string, string>;
  /** Short-lived command: C1 only. */
  command?: boolean;
  logLevel?: string;
  stdin?: boolean;
  /** Called with each complete stdout line. */
  onStdoutLine?: (line: string) => void;
}

/** Spawns a Java main class in its own temp dir; output goes to memory and `<dir>/java.out`. */
export async function spawnJava(options: SpawnJavaOptions): Promise<JavaProcess> {
  const classpath = await javaClasspath(options.profile ?? "rocketmq5");
  const dir = options.dir ?? javaTempDir(options.name);
  mkdirSync(join(dir, "logs"), { recursive: true });
  const logback = writeLogbackConfig(dir, options.logLevel ?? "INFO");
  const heap = options.heap ?? "256m";
  const props: Record<string, string> = {
    "rocketmq.home.dir": dir,
    "user.home": dir,
    "rmq.logback.configurationFile": logback,
    "rocketmq.client.logRoot": join(dir, "logs"),
    ...options.props,
  };
  const jvmArgs = [`-Xms${heap}`, `-Xmx${heap}`, ...JVM_FLAGS, ...(options.command ? COMMAND_JVM_FLAGS : [])];
  for (const [key, value] of Object.entries(props)) jvmArgs.push(`-D${key}=${value}`);
  jvmArgs.push("-cp", classpath, options.mainClass, ...options.args);
  const child = spawn("java", jvmArgs, { cwd: dir, stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`java ${options.mainClass} did not start`);
  const outFd = openSync(join(dir, "java.out"), "a");
  let output = "";
  let stdout = "";
  let stderr = "";
  let partial = "";
  const onData = (chunk: string): void => {
    output = (output + chunk).slice(-OUTPUT_KEEP_CHARS);
    writeSync(outFd, chunk);
  };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    onData(chunk);
    stdout = (stdout + chunk).slice(-OUTPUT_KEEP_CHARS);
    if (options.onStdoutLine === undefined) return;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) options.onStdoutLine(line);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    onData(chunk);
    stderr = (stderr + chunk).slice(-OUTPUT_KEEP_CHARS);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("close", (code, signal) => {
      closeSync(outFd);
      resolve({ code, signal });
    });
  });
  let exitedNow = false;
  void exited.then(() => (exitedNow = true));
  const java: JavaProcess = {
    name: options.name,
    pid: child.pid,
    port: options.port ?? 0,
    dir,
    child,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    running: () => !exitedNow && child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (!java.running()) return;
      child.kill("SIGTERM");
      try {
        await withDeadline(`${options.name} (pid ${child.pid}) to exit after SIGTERM`, exited, JAVA_STOP_DEADLINE_MS);
      } catch (error) {
        await java.kill();
        throw error;
      }
    },
    kill: async () => {
      if (java.running()) child.kill("SIGKILL");
      await exited;
    },
  };
  trackProcess(java, exited);
  return java;
}

/** Resolves once 127.0.0.1:port accepts a TCP connection; fails early if `java` exits. */
export async function waitForPort(java: JavaProcess, port: number, deadlineMs = JAVA_START_DEADLINE_MS): Promise<void> {
  await waitFor(`${java.name} listening on ${port}`, async () => {
    if (!java.running()) throw new Error(`${java.name} exited:\n${java.output().slice(-4000)}`);
    return (await canConnect(port)) ? true : undefined;
  }, deadlineMs);
}

/** True if 127.0.0.1:port accepts a connection now. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------
// Name server

/** Starts `NamesrvStartup -c namesrv.properties` with listenPort = port. */
export async function startJavaNamesrv(options: { port: number; config?: Record<string, string> }): Promise<JavaProcess> {
  const dir = javaTempDir(`namesrv-${options.port}`);
  const properties = { listenPort: String(options.port), ...options.config };
  const file = join(dir, "namesrv.properties");
  writeFileSync(file, Object.entries(properties).map(([key, value]) => `${key}=${value}\n`).join(""));
  const java = await spawnJava({
    name: `namesrv:${options.port}`,
    mainClass: "org.apache.rocketmq.namesrv.NamesrvStartup",
    args: ["-c", file],
    port: options.port,
    dir,
  });
  try {
    await waitForPort(java, options.port);
  } catch (error) {
    await java.kill();
    throw error;
  }
  return java;
}

/** `java -version` works (used to skip with a clear message when no JDK is installed). */
export function javaAvailable(): boolean {
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
    execFileSync("mvn", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Broker

/** Options of startJavaBroker. */
export interface JavaBrokerOptions {
  name: string;
  cluster: string;
  brokerId: number;
  /** The broker also binds listenPort - 2 (VIP channel) and listenPort + 1 (HA). See freeBrokerPort(). */
  listenPort: number;
  namesrvAddrs: readonly string[];
  /** broker.conf keys added or overriding the defaults below. */
  extraConf?: Record<string, string>;
  /** Extra -D properties (e.g. tls.enable). */
  props?: Record<string, string>;
  /** Resolve once booted, without waiting for a completed registration (one that is refused). @default true */
  awaitRegistration?: boolean;
}

/** A running broker: JavaProcess plus its address and its registrations. */
export interface JavaBroker extends JavaProcess {
  /** "127.0.0.1:listenPort", as the broker registers itself. */
  readonly addr: string;
  readonly brokerName: string;
  /** broker.conf as written. */
  readonly conf: Readonly<Record<string, string>>;
  /**
   * Completed REGISTER_BROKER calls so far, from the broker's log: one per name server per
   * registration (full or incremental); only those to `target` ("host:port") if given.
   */
  registrations(target?: string): number;
}

/** The broker log line written after each completed registration with one name server. */
const REGISTERED_LOG = "Registering current broker to name server completed. TargetHost=";

/**
 * Starts `BrokerStartup -c broker.conf` in its own temp dir; resolves once the broker printed
 * "boot success", its port accepts connections, and its first registration with every name
 * server in namesrvAddrs has completed (a 5.x broker sends it about 10 s after boot).
 */
export async function startJavaBroker(options: JavaBrokerOptions): Promise<JavaBroker> {
  const dir = javaTempDir(`broker-${options.name}`);
  const conf: Record<string, string> = {
    brokerClusterName: options.cluster,
    brokerName: options.name,
    brokerId: String(options.brokerId),
    brokerRole: options.brokerId === 0 ? "ASYNC_MASTER" : "SLAVE",
    flushDiskType: "ASYNC_FLUSH",
    namesrvAddr: options.namesrvAddrs.join(";"),
    brokerIP1: "127.0.0.1",
    brokerIP2: "127.0.0.1",
    listenPort: String(options.listenPort),
    storePathRootDir: join(dir, "store"),
    storePathCommitLog: join(dir, "store", "commitlog"),
    autoCreateTopicEnable: "true",
    mappedFileSizeCommitLog: String(64 * 1024 * 1024),
    mappedFileSizeConsumeQueue: String(60_000 * 20),
    maxHashSlotNum: "10000",
    maxIndexNum: "40000",
    timerWheelEnable: "false",
    diskMaxUsedSpaceRatio: "95",
    // The broker's minimum: a full registration every 10 s instead of 30 s keeps the suite short.
    registerNameServerPeriod: "10000",
    ...options.extraConf,
  };
  const file = join(dir, "broker.conf");
  writeFileSync(file, Object.entries(conf).map(([key, value]) => `${key}=${value}\n`).join(""));
  const java = await spawnJava({
    name: `broker:${options.name}`,
    mainClass: "org.apache.rocketmq.broker.BrokerStartup",
    args: ["-c", file],
    port: options.listenPort,
    dir,
    heap: "512m",
    ...(options.props === undefined ? {} : { props: options.props }),
  });
  const logFile = join(dir, "logs", "rocketmq.log");
  const broker: JavaBroker = {
    ...java,
    addr: `127.0.0.1:${options.listenPort}`,
    brokerName: options.name,
    conf,
    registrations: (target) => {
      if (!existsSync(logFile)) return 0;
      const parts = readFileSync(logFile, "utf8").split(REGISTERED_LOG).slice(1);
      return target === undefined ? parts.length : parts.filter((part) => part.startsWith(`${target}\n`) || part.startsWith(`${target}\r`)).length;
    },
  };
  try {
    await waitFor(`${java.name} boot success`, () => {
      if (!java.running()) throw new Error(`${java.name} exited:\n${java.output().slice(-4000)}`);
      return java.stdout().includes("boot success") ? true : undefined;
    }, JAVA_START_DEADLINE_MS);
    await waitForPort(java, options.listenPort);
    if (options.awaitRegistration === false) return broker;
    await waitFor(`${java.name} registered with ${options.namesrvAddrs.join(";")}`, () => {
      if (!java.running()) throw new Error(`${java.name} exited`);
      return options.namesrvAddrs.every((addr) => broker.registrations(addr) > 0) ? true : undefined;
    }, JAVA_START_DEADLINE_MS);
  } catch (error) {
    await java.kill();
    throw new Error(`${String(error)}\n${java.output().slice(-4000)}`);
  }
  return broker;
}

/** A free port p with p - 2 and p + 1 free too, as a broker's listenPort needs. */
export async function freeBrokerPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = [base - 2, base - 1, base, base + 1];
    const bound: net.Server[] = [];
    let ok = true;
    for (const port of all) {
      const server = net.createServer();
      const listening = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen({ host: "0.0.0.0", port }, () => resolve(true));
      });
      if (!listening) {
        ok = false;
        break;
      }
      bound.push(server);
    }
    await Promise.all(bound.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    if (ok) return base;
  }
  throw new Error("no free broker port block found");
}

// ---------------------------------------------------------------------------------------
// mqadmin

/** Runs `MQAdminStartup ...args` to completion (a shared temp dir as home; logs go to a file). */
export async function runMqadmin(
  args: readonly string[],
  options: { deadlineMs?: number; props?: Record<string, string>; home?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  mqadminDir ??= javaTempDir("mqadmin");
  const java = await spawnJava({
    name: `mqadmin ${args[0] ?? ""}`,
    mainClass: "org.apache.rocketmq.tools.command.MQAdminStartup",
    args,
    dir: options.home ?? mqadminDir,
    ...(options.props === undefined ? {} : { props: options.props }),
    heap: "256m",
    command: true,
    logLevel: "WARN",
  });
  try {
    const { code, signal } = await withDeadline(`mqadmin ${args.join(" ")}`, java.exited, options.deadlineMs ?? JAVA_COMMAND_DEADLINE_MS);
    return { code: code ?? (signal === null ? 1 : 128), stdout: java.stdout(), stderr: java.stderr() };
  } catch (error) {
    await java.kill();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------
// Our Java test programs (src/main/java/interop)

/** One JSON event line of a test program. */
export type ProgramEvent = Record<string, unknown> & { event: string };

/** A running test program: its process and the events it printed. */
export interface JavaProgram extends JavaProcess {
  readonly events: ProgramEvent[];
  /** The first event (from now on or already printed) matching `match`. */
  waitForEvent(what: string, match: (event: ProgramEvent) => boolean, deadlineMs?: number): Promise<ProgramEvent>;
  /** Writes "stop" to stdin and closes it; resolves once the program exited. */
  finish(deadlineMs?: number): Promise<void>;
}

async function startProgram(name: string, mainClass: string, args: readonly string[], profile: ClasspathProfile): Promise<JavaProgram> {
  const events: ProgramEvent[] = [];
  const java = await spawnJava({
    name,
    mainClass,
    args,
    profile,
    heap: "256m",
    stdin: true,
    onStdoutLine: (line) => {
      if (!line.startsWith("{\"event\"")) return;
      try {
        events.push(JSON.parse(line) as ProgramEvent);
      } catch {
        // not one of ours
      }
    },
  });
  const program: JavaProgram = {
    ...java,
    events,
    waitForEvent: (what, match, deadlineMs = JAVA_COMMAND_DEADLINE_MS) =>
      waitFor(`${name}: ${what}`, () => {
        const found = events.find(match);
        if (found !== undefined) return found;
        if (!java.running()) throw new Error(`${name} exited:\n${java.output().slice(-4000)}`);
        return undefined;
      }, deadlineMs),
    finish: async (deadlineMs = JAVA_STOP_DEADLINE_MS) => {
      if (java.running()) {
        java.child.stdin?.write("stop\n");
        java.child.stdin?.end();
      }
      try {
        await withDeadline(`${name} to finish`, java.exited, deadlineMs);
      } catch (error) {
        await java.kill();
        throw error;
      }
    },
  };
  await program.waitForEvent("started", (event) => event.event === "started");
  return program;
}

/** Options of the producer program. */
export interface ProducerOptions {
  namesrv: readonly string[];
  topics: readonly string[];
  /** Messages per topic; -1 sends until finish(). */
  count: number;
  intervalMs?: number;
  group?: string;
  /** The client's pollNameServerInterval (default 30000, RocketMQ's). */
  pollMs?: number;
  sendTimeoutMs?: number;
  retries?: number;
  profile?: ClasspathProfile;
}

/** Final totals of a producer run. */
export interface ProducerDone {
  sent: number;
  failed: number;
  ms: number;
  byBroker: Record<string, number>;
}

/** Starts interop.Producer (a DefaultMQProducer); resolves once it started. */
export function startProducer(options: ProducerOptions): Promise<JavaProgram> {
  const args = ["--namesrv", options.namesrv.join(";"), "--topics", options.topics.join(","), "--count", String(options.count)];
  if (options.intervalMs !== undefined) args.push("--interval-ms", String(options.intervalMs));
  if (options.group !== undefined) args.push("--group", options.group);
  if (options.pollMs !== undefined) args.push("--poll-ms", String(options.pollMs));
  if (options.sendTimeoutMs !== undefined) args.push("--send-timeout-ms", String(options.sendTimeoutMs));
  if (options.retries !== undefined) args.push("--retries", String(options.retries));
  return startProgram(`producer ${options.topics.join(",")}`, "interop.Producer", args, options.profile ?? "rocketmq5");
}

/** Runs a producer with a fixed count to completion and returns its totals. */
export async function runProducer(options: ProducerOptions & { deadlineMs?: number }): Promise<ProducerDone & { events: ProgramEvent[] }> {
  const producer = await startProducer(options);
  const done = await producer.waitForEvent("done", (event) => event.event === "done", options.deadlineMs ?? 5 * 60_000);
  await producer.finish();
  return { ...(done as unknown as ProducerDone), events: producer.events };
}

/** Per-topic counts of the consumer program. */
export type ConsumerCounts = Record<string, { unique: number; total: number }>;

/** Starts interop.Consumer (a DefaultMQPushConsumer from the first offset); resolves once it started. */
export function startConsumer(options: { namesrv: readonly string[]; group: string; topics: readonly string[]; profile?: ClasspathProfile }): Promise<JavaProgram> {
  const args = ["--namesrv", options.namesrv.join(";"), "--group", options.group, "--topics", options.topics.join(",")];
  return startProgram(`consumer ${options.group}`, "interop.Consumer", args, options.profile ?? "rocketmq5");
}

/** The latest counts a consumer printed. */
export function consumerCounts(consumer: JavaProgram): ConsumerCounts {
  const last = [...consumer.events].reverse().find((event) => event.event === "counts");
  return (last?.["counts"] as ConsumerCounts | undefined) ?? {};
}
