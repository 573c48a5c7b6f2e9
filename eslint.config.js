// Lint rules. The deterministic core and the pure codecs may not reach for time,
// randomness, timers, the process or any I/O module: those are injected by the shells.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const pureRestrictedGlobals = [
  { name: "Date", message: "core/protocol are deterministic: take time as an argument" },
  { name: "setTimeout", message: "core/protocol never set timers: keep deadlines and compare in tick()" },
  { name: "setInterval", message: "core/protocol never set timers" },
  { name: "setImmediate", message: "core/protocol never set timers" },
  { name: "process", message: "core/protocol never touch the process" },
];
const pureRestrictedImports = {
  patterns: [
    { group: ["node:*", "ws", "pino", "fs", "net", "http", "crypto"], message: "core/protocol are pure" },
    { group: ["../server/*", "../gossip/*", "../transport/*", "../cli/*", "../client/*"], message: "core may not import shells" },
  ],
};

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
  {
    files: ["src/core/**/*.ts", "src/protocol/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-globals": ["error", ...pureRestrictedGlobals],
      "no-restricted-properties": ["error", { object: "Math", property: "random", message: "inject an Rng" }],
      "no-restricted-imports": ["error", pureRestrictedImports],
    },
  },
);
