// Goal: the layer rules bite: ESLint refuses protocol -> core, a shell importing the server,
// and `ws` / `node:net` outside transport/, and files over their line bounds; the cycle check
// finds a cycle. Method: ESLint's API on source text given a path under src/ (nothing is
// written); findCycles on a small graph.
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain ESM script without type declarations
import { findCycles } from "../scripts/check-cycles.mjs";

const eslint = new ESLint({ cwd: new URL("..", import.meta.url).pathname });

async function messages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === "no-restricted-imports").map((message) => message.message);
}

describe("lint rules", () => {
  it("lint: protocol/ may not import core/", async () => {
    const found = await messages("src/protocol/messages/x.ts", 'import { NameServerNode } from "../../core/node.js";\nexport const x = NameServerNode;\n');
    expect(found.join(" ")).toContain("protocol/ may not import core/");
  });

  it("lint: gossip/ and remoting/ may not import server/", async () => {
    for (const path of ["src/gossip/x.ts", "src/remoting/x.ts"]) {
      const found = await messages(path, 'import { startServer } from "../server/server.js";\nexport const x = startServer;\n');
      expect(found.join(" "), path).toContain("may not import server/");
    }
  });

  it("lint: ws and node:net only in transport/", async () => {
    const ws = await messages("src/server/x.ts", 'import { WebSocket } from "ws";\nexport const x = WebSocket;\n');
    expect(ws.join(" ")).toContain("ws belongs to transport/");
    const net = await messages("src/config/x.ts", 'import { isIP } from "node:net";\nexport const x = isIP;\n');
    expect(net.join(" ")).toContain("node:net belongs to transport/");
    const remoting = await messages("src/remoting/remoting_server.ts", 'import * as net from "node:net";\nexport const x = net;\n');
    expect(remoting.join(" ")).toContain("node:net belongs to transport/");
    expect(await messages("src/transport/x.ts", 'import { WebSocket } from "ws";\nexport const x = WebSocket;\n')).toEqual([]);
  });

  it("lint: the model is a leaf", async () => {
    const found = await messages("src/model/x.ts", 'import { NameServerNode } from "../core/node.js";\nexport const x = NameServerNode;\n');
    expect(found.join(" ")).toContain("model/ may not import core/");
  });

  it("lint: a source file over 500 lines, or a core facade over 400, fails", async () => {
    const lint = async (filePath: string, lines: number): Promise<string[]> => {
      const [result] = await eslint.lintText("export const x = 1;\n".repeat(lines), { filePath });
      return (result?.messages ?? []).filter((message) => message.ruleId === "max-lines").map((message) => message.message);
    };
    expect(await lint("src/server/x.ts", 500)).toEqual([]);
    expect((await lint("src/server/x.ts", 501)).join(" ")).toContain("Maximum allowed is 500");
    expect((await lint("src/core/node.ts", 401)).join(" ")).toContain("Maximum allowed is 400");
    expect(await lint("src/server/x.test.ts", 800)).toEqual([]);
  });

  it("lint: the cycle check finds a cycle and passes a chain", () => {
    const cycle = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
    expect(findCycles(cycle)).toHaveLength(1);
    expect([...(findCycles(cycle)[0] as string[])].sort()).toEqual(["a", "b", "c"]);
    expect(findCycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", []]]))).toEqual([]);
  });
});
