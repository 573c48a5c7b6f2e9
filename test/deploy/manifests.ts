// Helpers of the deploy tests: build the kustomizations with `kubectl kustomize` (offline: it
// only reads files), validate every object against the Kubernetes schemas of kubernetes-models,
// type-check the objects against its TypeScript interfaces (which, unlike the JSON schemas,
// reject unknown fields), and read the flags of the real `namesrv start`.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { parseAllDocuments } from "yaml";
import { ServiceAccount, Service, Secret } from "kubernetes-models/v1";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** One Kubernetes object as kustomize prints it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

/** `kubectl kustomize DIR`, parsed; throws with kubectl's message when the build fails. */
export function kustomize(dir: string): KubeObject[] {
  const text = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(`kustomize output of ${dir}: ${document.errors[0]?.message}`);
    return document.toJS() as KubeObject;
  });
}

/**
 * Builds deploy/kubernetes/credentials from a copy with made-up files beside it (the real ones
 * are never committed), so that the generated Secret can be checked like the rest.
 */
export function kustomizeCredentials(files: readonly string[]): KubeObject[] {
  const dir = mkdtempSync(join(tmpdir(), "namesrv-credentials-"));
  try {
    cpSync(join(REPO, "deploy/kubernetes/credentials/kustomization.yaml"), join(dir, "kustomization.yaml"));
    for (const file of files) writeFileSync(join(dir, file), "made-up-for-the-test-0123456789\n");
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The kubernetes-models class and TypeScript interface of each kind the manifests use. */
const MODELS: Record<string, { readonly model: new (data: never) => { validate(): void }; readonly module: string; readonly type: string }> = {
  "v1/ServiceAccount": { model: ServiceAccount, module: "kubernetes-models/v1/ServiceAccount", type: "IServiceAccount" },
  "v1/Service": { model: Service, module: "kubernetes-models/v1/Service", type: "IService" },
  "v1/Secret": { model: Secret, module: "kubernetes-models/v1/Secret", type: "ISecret" },
  "apps/v1/StatefulSet": { model: StatefulSet, module: "kubernetes-models/apps/v1/StatefulSet", type: "IStatefulSet" },
  "policy/v1/PodDisruptionBudget": { model: PodDisruptionBudget, module: "kubernetes-models/policy/v1/PodDisruptionBudget", type: "IPodDisruptionBudget" },
};

function modelOf(object: KubeObject): (typeof MODELS)[string] {
  const entry = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!entry) throw new Error(`no schema known for ${object.apiVersion} ${object.kind} '${object.metadata.name}'`);
  return entry;
}

/** Schema problems of every object ("" when it validates), by "Kind/name". */
export function schemaProblems(objects: readonly KubeObject[]): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const object of objects) {
    const { model } = modelOf(object);
    let problem = "";
    try {
      new model(object as never).validate();
    } catch (error) {
      problem = (error as Error).message;
    }
    problems[`${object.kind}/${object.metadata.name}`] = problem;
  }
  return problems;
}

/**
 * Type-checks every object as an object literal of its kubernetes-models interface: excess
 * property checks reject a field the API does not have (a `readinesProbe` passes the JSON
 * schemas, which allow unknown fields, but not this). Returns tsc's messages.
 */
export function typeProblems(objects: readonly KubeObject[]): string[] {
  const fileName = join(REPO, "test/deploy/__manifests_check__.ts");
  const imports = new Set<string>();
  const lines: string[] = [];
  objects.forEach((object, index) => {
    const { module, type } = modelOf(object);
    imports.add(`import type { ${type} } from "${module}";`);
    lines.push(`// ${object.kind}/${object.metadata.name}`, `export const object${index}: ${type} = ${JSON.stringify(object, null, 2)};`);
  });
  const source = [...imports, ...lines].join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : null;
    const context = where ? ` (line ${where.line + 1}: ${source.split("\n")[where.line]?.trim()})` : "";
    return `${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}${context}`;
  });
}

/** One option of `namesrv start`, as its --help lists it. */
export interface CliOption {
  readonly flag: string;
  readonly takesValue: boolean;
  readonly defaultText: string | null;
}

/** The options of the built CLI's `namesrv start` (run `npm run build` first). */
export function startOptions(): Map<string, CliOption> {
  const help = execFileSync(process.execPath, [join(REPO, "dist/cli/main.js"), "start", "--help"], { encoding: "utf8" });
  // Commander wraps descriptions; an option starts a line with two spaces and its long flag.
  const entries = help.split("\nOptions:\n")[1]?.split(/\n(?= {2}-)/) ?? [];
  const options = new Map<string, CliOption>();
  for (const entry of entries) {
    const match = /^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)( <[^>]+>| \[[^\]]+\])?/.exec(entry);
    if (!match?.[1]) continue;
    const defaultText = /\(default: ([^)]*)\)/.exec(entry.replace(/\s+/g, " "))?.[1] ?? null;
    options.set(match[1], { flag: match[1], takesValue: match[2] !== undefined, defaultText });
  }
  return options;
}

/** `--flag=value` or `--flag` split into its parts. */
export function splitArg(arg: string): { flag: string; value: string | null } {
  const at = arg.indexOf("=");
  return at < 0 ? { flag: arg, value: null } : { flag: arg.slice(0, at), value: arg.slice(at + 1) };
}
