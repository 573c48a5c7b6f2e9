// Lint rules. The deterministic core and the pure codecs may not reach for time,
// randomness, timers, the process or any I/O module: those are injected by the shells.
// Each folder may import only the layers below it (the table in docs/architecture.md);
// `npm run lint` also runs scripts/check-cycles.mjs, which fails on any import cycle.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const pureRestrictedGlobals = [
  { name: "Date", message: "core/protocol are deterministic: take time as an argument" },
  { name: "setTimeout", message: "core/protocol never set timers: keep deadlines and compare in tick()" },
  { name: "setInterval", message: "core/protocol never set timers" },
  { name: "setImmediate", message: "core/protocol never set timers" },
  { name: "process", message: "core/protocol never touch the process" },
];

/** Import patterns of every folder of src/, for the layer rules below. */
const folder = (name) => [`**/${name}/**`, `../${name}/*`, `./${name}/*`];

/**
 * The layer table: each folder, and the folders of src/ it may NOT import. Leaf modules
 * (limits, errors, assert) are open to all. Keep in step with docs/architecture.md.
 */
const LAYERS = {
  model: ["core", "protocol", "transport", "host", "server", "gossip", "remoting", "client", "broker_agent", "config", "cli", "testing", "bench"],
  protocol: ["core", "transport", "host", "server", "gossip", "remoting", "client", "broker_agent", "config", "cli", "testing", "bench"],
  core: ["transport", "host", "server", "gossip", "remoting", "client", "broker_agent", "config", "cli", "testing", "bench"],
  transport: ["core", "host", "server", "gossip", "remoting", "client", "broker_agent", "cli", "testing", "bench"],
  config: ["core", "host", "server", "gossip", "remoting", "client", "broker_agent", "cli", "testing", "bench"],
  host: ["server", "gossip", "remoting", "client", "broker_agent", "cli", "testing", "bench"],
  gossip: ["server", "remoting", "client", "broker_agent", "cli", "testing", "bench"],
  remoting: ["server", "gossip", "client", "broker_agent", "cli", "testing", "bench"],
  server: ["client", "broker_agent", "cli", "testing", "bench"],
  client: ["host", "server", "gossip", "remoting", "broker_agent", "cli", "testing", "bench"],
  broker_agent: ["host", "server", "gossip", "remoting", "cli", "testing", "bench"],
  testing: ["cli", "bench"],
  cli: ["testing", "bench"],
  bench: ["cli"],
};

/**
 * `ws` and `node:net` belong to transport/. Still outside it: the bench's load generators
 * (tooling, not the product).
 */
const SOCKET_MODULES_PENDING = ["src/bench/**"];

/** Lines of a source file (tests aside). */
const SOURCE_LINES_MAX = 500;
/** Lines of the NameServerNode facade. */
const NODE_FACADE_LINES_MAX = 400;

const PURE_MODULES = { group: ["node:*", "ws", "pino", "fs", "net", "http", "crypto"], message: "core/protocol/model are pure" };

/** The layer rule of one folder: two entries, the pending socket files without the socket ban. */
function layerRules(name) {
  const extra = ["core", "protocol", "model"].includes(name) ? [PURE_MODULES] : [];
  const patterns = [
    ...extra,
    ...LAYERS[name].map((other) => ({ group: folder(other), message: `${name}/ may not import ${other}/ (layer table, docs/architecture.md)` })),
  ];
  const sockets = [
    { name: "ws", message: "ws belongs to transport/" },
    { name: "node:net", message: "node:net belongs to transport/" },
  ];
  const pending = SOCKET_MODULES_PENDING.filter((path) => path.startsWith(`src/${name}/`));
  const rule = (paths) => ({ "no-restricted-imports": ["error", { paths, patterns }] });
  return [
    { files: [`src/${name}/**/*.ts`], ignores: ["**/*.test.ts", ...pending], rules: rule(name === "transport" ? [] : sockets) },
    ...(pending.length > 0 ? [{ files: pending, ignores: ["**/*.test.ts"], rules: rule([]) }] : []),
  ];
}

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  ...Object.keys(LAYERS).flatMap(layerRules),
  {
    files: ["src/core/**/*.ts", "src/protocol/**/*.ts", "src/model/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-globals": ["error", ...pureRestrictedGlobals],
      "no-restricted-properties": ["error", { object: "Math", property: "random", message: "inject an Rng" }],
    },
  },
  // File sizes (STYLE.md): a source file over SOURCE_LINES_MAX wants splitting; the core's
  // facade stays small.
  { files: ["src/**/*.ts"], ignores: ["**/*.test.ts"], rules: { "max-lines": ["error", { max: SOURCE_LINES_MAX }] } },
  { files: ["src/core/node.ts"], rules: { "max-lines": ["error", { max: NODE_FACADE_LINES_MAX }] } },
  // The dashboard (web/) is browser code: it takes the API's types from src/ (type-only imports,
  // erased by the build) and no code, so the page bundles nothing of the server.
  {
    files: ["web/**/*.ts", "web/**/*.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/src/**"], allowTypeImports: true, message: "web/ may import only types from src/" }] },
      ],
    },
  },
);
