// The Java NameServer (Apache RocketMQ 5.5.0 from Maven Central) as a bench peer. The
// classpath is the interop harness's cached one (test/interop/target/rocketmq5.classpath.json)
// when every jar of it is present, else `mvn -q dependency:build-classpath` on
// test/interop/pom.xml (cached in test/interop/target/bench-namesrv.classpath.txt). Each
// NameServer runs in its own temp dir (rocketmq.home.dir, user.home, logs), is tracked by pid
// and its dir is removed when it is stopped or when the tracker kills everything.
// Must not import test/ code: the few flags it shares with test/interop/harness/java.ts are
// repeated here.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, runCommand, waitFor, type ProcessTracker, type Tracked } from "./util.js";
import { canConnect } from "./remoting_client.js";

/** test/interop, where pom.xml lives (dist/bench -> the repository root -> test/interop). */
const INTEROP_DIR = fileURLToPath(new URL("../../test/interop/", import.meta.url));
const TARGET_DIR = join(INTEROP_DIR, "target");
/** The harness's cache: `{ stamp, classpath }`, our compiled test programs first. */
const HARNESS_CLASSPATH_FILE = join(TARGET_DIR, "rocketmq5.classpath.json");
/** Ours, written when the harness's cache is missing or stale. */
const BENCH_CLASSPATH_FILE = join(TARGET_DIR, "bench-namesrv.classpath.txt");
/** Into an empty ~/.m2 Maven downloads about 131 MiB; bounded all the same. */
const MAVEN_TIMEOUT_MS = 10 * 60_000;
/** A JVM with a cold cache takes a few seconds to listen; 60 s covers a loaded machine. */
const JAVA_START_TIMEOUT_MS = 60_000;
/** `java -version` and `mvn -v`. */
const PROBE_TIMEOUT_MS = 30_000;
/** The NameServer's main class. */
const MAIN_CLASS = "org.apache.rocketmq.namesrv.NamesrvStartup";
/**
 * JVM flags of the interop harness (test/interop/harness/java.ts): the serial collector keeps
 * the footprint small on two cores, and RocketMQ 5 needs the opens on Java 17. The heap starts
 * small (-Xms64m) and grows to the given maximum, so RSS shows what the data needs rather than
 * a preallocated heap; RocketMQ's own runserver.sh would start it with -Xms4g -Xmx4g.
 */
const JVM_FLAGS = [
  "-Xms64m",
  "-XX:+UseSerialGC",
  "-XX:MaxDirectMemorySize=256m",
  "-XX:-OmitStackTraceInFastThrow",
  "--add-opens", "java.base/java.nio=ALL-UNNAMED",
  "--add-opens", "java.base/java.lang=ALL-UNNAMED",
  "--add-opens", "java.base/java.util=ALL-UNNAMED",
  "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
  "-Djava.net.preferIPv4Stack=true",
];

/** What was found of Java: the classpath (null: Java comparisons are skipped) and why. */
export interface JavaSetup {
  readonly classpath: string | null;
  /** `java -version`'s first line, the RocketMQ version of the pom. */
  readonly java: string | null;
  readonly rocketmq: string | null;
  /** "interop cache" or "mvn", or null when not found. */
  readonly classpathFrom: string | null;
  readonly notes: string[];
}

/** One running Java NameServer. */
export interface JavaNamesrv {
  readonly port: number;
  readonly process: Tracked;
  readonly dir: string;
  readonly heapMax: string;
  readonly jvmFlags: readonly string[];
}

/** The RocketMQ version test/interop/pom.xml asks for. */
function pomVersion(): string | null {
  const pom = join(INTEROP_DIR, "pom.xml");
  if (!existsSync(pom)) return null;
  return /<rocketmq\.version>([^<]+)<\/rocketmq\.version>/.exec(readFileSync(pom, "utf8"))?.[1] ?? null;
}

/** A classpath every entry of which exists and that holds the pom's rocketmq-namesrv jar. */
function usable(classpath: string, version: string): boolean {
  const entries = classpath.split(":").filter((entry) => entry !== "");
  return entries.some((entry) => entry.endsWith(`rocketmq-namesrv-${version}.jar`)) && entries.every((entry) => existsSync(entry));
}

function cachedClasspath(version: string): { classpath: string; from: string } | null {
  try {
    if (existsSync(HARNESS_CLASSPATH_FILE)) {
      const cache = JSON.parse(readFileSync(HARNESS_CLASSPATH_FILE, "utf8")) as { classpath?: unknown };
      if (typeof cache.classpath === "string" && usable(cache.classpath, version)) return { classpath: cache.classpath, from: "interop cache" };
    }
    if (existsSync(BENCH_CLASSPATH_FILE)) {
      const classpath = readFileSync(BENCH_CLASSPATH_FILE, "utf8").trim();
      if (usable(classpath, version)) return { classpath, from: "bench cache" };
    }
  } catch (error) {
    // A corrupt cache is rebuilt below; the reason is not worth more than this.
    if (!(error instanceof SyntaxError)) throw error;
  }
  return null;
}

/** Finds java and the RocketMQ classpath (running Maven once if needed). Never throws. */
export async function findJavaNamesrv(log: (line: string) => void): Promise<JavaSetup> {
  const notes: string[] = [];
  const version = pomVersion();
  const javaProbe = await runCommand("java", ["-version"], PROBE_TIMEOUT_MS);
  const java = javaProbe.code === 0 ? (javaProbe.output.trim().split("\n")[0] ?? "").trim() : null;
  if (java === null || version === null) {
    notes.push(java === null ? "java not found: Java NameServer comparisons not measured" : "test/interop/pom.xml not found: Java NameServer comparisons not measured");
    return { classpath: null, java, rocketmq: version, classpathFrom: null, notes };
  }
  const hit = cachedClasspath(version);
  if (hit) return { classpath: hit.classpath, java, rocketmq: version, classpathFrom: hit.from, notes };
  log(`resolving RocketMQ ${version} with mvn (test/interop/pom.xml)`);
  mkdirSync(TARGET_DIR, { recursive: true });
  const extra = (process.env["INTEROP_MVN_ARGS"] ?? "").split(/\s+/).filter((arg) => arg !== "");
  const args = ["-B", "-q", "-f", join(INTEROP_DIR, "pom.xml"), ...extra, "dependency:build-classpath", "-Dmdep.includeScope=runtime", `-Dmdep.outputFile=${BENCH_CLASSPATH_FILE}`];
  const mvn = await runCommand("mvn", args, MAVEN_TIMEOUT_MS);
  if (mvn.code !== 0 || !existsSync(BENCH_CLASSPATH_FILE)) {
    notes.push(`mvn dependency:build-classpath failed (${mvn.code}): ${mvn.output.trim().slice(-300)}; Java NameServer comparisons not measured`);
    return { classpath: null, java, rocketmq: version, classpathFrom: null, notes };
  }
  const classpath = readFileSync(BENCH_CLASSPATH_FILE, "utf8").trim();
  if (!usable(classpath, version)) {
    notes.push(`mvn gave a classpath without rocketmq-namesrv-${version}.jar; Java NameServer comparisons not measured`);
    return { classpath: null, java, rocketmq: version, classpathFrom: null, notes };
  }
  return { classpath, java, rocketmq: version, classpathFrom: "mvn", notes };
}

/** A logback config at WARN, to a file (RocketMQ's shaded logback reads `rmq.logback.configurationFile`). */
function writeLogback(dir: string): string {
  const file = join(dir, "logback.xml");
  writeFileSync(
    file,
    `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${join(dir, "logs", "namesrv.log")}</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
</configuration>
`,
  );
  return file;
}

/**
 * Starts `NamesrvStartup -c namesrv.properties` on a free port of 127.0.0.1 and waits until it
 * accepts connections. Its temp dir is removed when the tracker kills it or everything.
 */
export async function startJavaNamesrv(procs: ProcessTracker, classpath: string, options: { heapMax: string; name: string }): Promise<JavaNamesrv> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `bench-javans-${options.name}-`));
  procs.addCleanup(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "logs"), { recursive: true });
  const properties = join(dir, "namesrv.properties");
  writeFileSync(properties, `listenPort=${port}\n`);
  const jvmFlags = [`-Xmx${options.heapMax}`, ...JVM_FLAGS];
  const props = [`-Drocketmq.home.dir=${dir}`, `-Duser.home=${dir}`, `-Drmq.logback.configurationFile=${writeLogback(dir)}`];
  const proc = procs.start(`java-namesrv-${options.name}`, "java", [...jvmFlags, ...props, "-cp", classpath, MAIN_CLASS, "-c", properties], { keepLines: true });
  try {
    await waitFor(`Java NameServer on ${port}`, JAVA_START_TIMEOUT_MS, async () => {
      if (proc.exited) throw new Error(`Java NameServer exited: ${proc.lines.slice(-20).join("\n")}`);
      return canConnect(port);
    });
  } catch (error) {
    await procs.kill(proc);
    throw error;
  }
  return { port, process: proc, dir, heapMax: options.heapMax, jvmFlags };
}

/** SIGKILLs the NameServer and removes its temp dir. */
export async function stopJavaNamesrv(procs: ProcessTracker, java: JavaNamesrv): Promise<void> {
  await procs.kill(java.process);
  rmSync(java.dir, { recursive: true, force: true });
}
