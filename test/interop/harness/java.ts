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

/** Deadline of the Maven run (a fresh ~/.m2 downloads about 120 MiB). */
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
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True while it runs. */
  running(): boolean;
  /** SIGTERM (a broker unregisters from its name servers), then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

const started = new Set<JavaProcess>();

/** SIGKILLs every process the harness started that still runs, and waits for them. */
export async function killAll(): Promise<void> {
  const all = [...started];
  await Promise.all(all.map((java) => java.kill()));
}

process.on("exit", () => {
  for (const java of started) {
    if (!java.running()) continue;
    try {
      process.kill(java.pid, "SIGKILL");
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
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as { stamp: string; classpath: string };
    if (cache.stamp !== stamp || !existsSync(classesDir)) return undefined;
    return cache.classpath;
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
  return mkdtempSync(join(tmpdir(), `interop-${name.replace(/[^A-Za-z0-9_-]/g, "_")}-`));
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
  const onData = (chunk: string): void => {
    output = (output + chunk).slice(-OUTPUT_KEEP_CHARS);
    writeSync(outFd, chunk);
  };
  child.stdout?.setEncoding("utf8").on("data", onData);
  child.stderr?.setEncoding("utf8").on("data", onData);
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
  started.add(java);
  void exited.then(() => started.delete(java));
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

/** The pids of every running harness process (for reports). */
export function runningJavaPids(): number[] {
  return [...started].filter((java) => java.running()).map((java) => java.pid);
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
