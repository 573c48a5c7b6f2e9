// Goal: the wire error table is complete: every ErrorCode has an ERROR_TABLE entry, a class
// that round-trips through errorFromCode, and a row in docs/errors.md.
// Method: iterate ErrorCode; read the doc as text (test-only file read).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_TABLE, ErrorCode, NsError, errorFromCode } from "./errors.js";

const DOC = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

describe("errors", () => {
  for (const [name, code] of Object.entries(ErrorCode)) {
    it(`errors: ${name} (${code}) has a row in docs/errors.md`, () => {
      expect(DOC).toContain(`| ${code} | \`${name}\` |`);
    });
    if (code === ErrorCode.OK) continue;
    it(`errors: ${name} (${code}) has a table entry and a class`, () => {
      const entry = ERROR_TABLE.find((e) => e.code === code);
      expect(entry?.name).toBe(name);
      const error = errorFromCode(code, "some message");
      expect(error).toBeInstanceOf(NsError);
      expect(error.constructor).not.toBe(NsError);
      expect(error.code).toBe(code);
      expect(error.message).toContain("some message");
      expect(error.retriable).toBe(entry?.retriable);
      const row = DOC.split("\n").find((line) => line.startsWith(`| ${code} | \`${name}\` |`)) ?? "";
      expect(row).toContain(`\`${error.name}\``);
      expect(row).toContain(entry?.retriable ? "| yes |" : "| no |");
    });
  }

  it("errors: every entry's HTTP status and remoting code are the ones docs/errors.md states", () => {
    for (const entry of ERROR_TABLE) {
      const rows = DOC.split("\n").filter((line) => line.startsWith(`| ${entry.code} | \`${entry.name}\` |`));
      const portsRow = rows.find((line) => /^\| \d+ \| `\w+` \| \d{3} \|/.test(line)) ?? "";
      expect(portsRow, entry.name).toContain(`| ${entry.httpStatus} | ${entry.remotingCode} \``);
    }
  });

  it("errors: codes are unique and the table has no extra entries", () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(ERROR_TABLE.length).toBe(codes.length - 1);
  });

  it("errors: an unknown code becomes INTERNAL naming the code", () => {
    const error = errorFromCode(999, "x");
    expect(error.code).toBe(ErrorCode.INTERNAL);
    expect(error.message).toContain("999");
  });
});
