// Field checkers shared by config.ts and security_fields.ts: each reads one loose input value,
// reports a problem naming the field and quoting the value, and falls back to the default.
// Pure: no I/O.
import { quote } from "../errors.js";

/** Collects problems; each names the field and quotes the value. */
export class Problems {
  readonly list: string[] = [];
  add(field: string, rule: string, value: unknown): void {
    this.list.push(`'${field}' ${rule}, got ${quote(value)}`);
  }
}

/** An integer in min..max, or `fallback` when absent. */
export function intField(problems: Problems, field: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.add(field, `must be an integer in ${min}..${max}`, value);
    return fallback;
  }
  return value;
}

/** A boolean, or `fallback` when absent. */
export function boolField(problems: Problems, field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    problems.add(field, "must be true or false", value);
    return fallback;
  }
  return value;
}

/** One of `choices`, or `fallback` when absent or null. */
export function choiceField<T extends string>(problems: Problems, field: string, value: unknown, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    problems.add(field, `must be one of ${choices.join("|")}`, value);
    return fallback;
  }
  return value as T;
}
