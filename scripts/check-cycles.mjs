#!/usr/bin/env node
// Fails when the source files under src/ (tests aside) import each other in a cycle, type-only
// imports included: layers are a directed graph, not a hope (STYLE.md §11). Prints each cycle.
/* global process, console */
// Usage: node scripts/check-cycles.mjs [dir]   (run by `npm run lint`)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*["'](\.{1,2}\/[^"']+)\.js["']/g;

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Import edges (file -> files it imports) of the sources under `root`. */
export function importGraph(root) {
  const files = sources(root);
  const known = new Set(files);
  const edges = new Map(files.map((file) => [file, []]));
  for (const file of files) {
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const target = resolve(dirname(file), `${match[1]}.ts`);
      if (known.has(target)) edges.get(file).push(target);
    }
  }
  return edges;
}

/** The cycles of a graph: its strongly connected components of more than one node (Tarjan). */
export function findCycles(edges) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const cycles = [];
  const visit = (file) => {
    state.set(file, { index, low: index, onStack: true });
    index += 1;
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (!state.has(next)) {
        visit(next);
        state.get(file).low = Math.min(state.get(file).low, state.get(next).low);
      } else if (state.get(next).onStack) {
        state.get(file).low = Math.min(state.get(file).low, state.get(next).index);
      }
    }
    if (state.get(file).low !== state.get(file).index) return;
    const component = [];
    for (;;) {
      const member = stack.pop();
      state.get(member).onStack = false;
      component.push(member);
      if (member === file) break;
    }
    if (component.length > 1 || (edges.get(file) ?? []).includes(file)) cycles.push(component);
  };
  for (const file of edges.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? "src");
  const edges = importGraph(root);
  const cycles = findCycles(edges);
  if (cycles.length === 0) {
    console.log(`check-cycles: no import cycle among ${edges.size} files under ${relative(process.cwd(), root) || "."}`);
  } else {
    for (const cycle of cycles) console.error(`check-cycles: import cycle: ${cycle.map((file) => relative(process.cwd(), file)).join(" <-> ")}`);
    process.exit(1);
  }
}
