// Goal: a full port admits a new connection by closing the least recently active untrusted one,
// never a trusted one; the per-address bound holds; under pressure, idle untrusted connections go.
// Method: ConnectionSlots with small limits and explicit times.
import { describe, expect, it } from "vitest";
import { ConnectionSlots } from "./connection_slots.js";

const full = (connection: string) => ({ connection, reason: "full" });
const idle = (connection: string) => ({ connection, reason: "idle" });
const LIMITS = { connectionsMax: 3, perAddressMax: 2, pressureConnections: 3, idleUnderPressureMs: 1_000 };

describe("connection_slots", () => {
  it("connection_slots: a full port closes the least recently active untrusted connection", () => {
    const slots = new ConnectionSlots<string>({ ...LIMITS, pressureConnections: 99 });
    expect(slots.admit("a", "10.0.0.1", 0)).toEqual({ admitted: true, evicted: [] });
    expect(slots.admit("b", "10.0.0.2", 1)).toEqual({ admitted: true, evicted: [] });
    expect(slots.admit("c", "10.0.0.3", 2)).toEqual({ admitted: true, evicted: [] });
    slots.touch("a", 3);
    expect(slots.admit("d", "10.0.0.4", 4)).toEqual({ admitted: true, evicted: [full("b")] });
    expect(slots.size).toBe(3);
  });

  it("connection_slots: trusted connections are never closed; all trusted means refused", () => {
    const slots = new ConnectionSlots<string>({ ...LIMITS, pressureConnections: 99 });
    for (const [index, name] of ["a", "b", "c"].entries()) slots.admit(name, `10.0.0.${index}`, index);
    slots.trust("a");
    slots.trust("b");
    expect(slots.admit("d", "10.0.1.1", 10)).toEqual({ admitted: true, evicted: [full("c")] });
    slots.trust("d");
    expect(slots.trustedCount).toBe(3);
    expect(slots.admit("e", "10.0.1.2", 11)).toEqual({ admitted: false, reason: "full" });
    slots.release("a");
    expect(slots.admit("e", "10.0.1.2", 12)).toEqual({ admitted: true, evicted: [] });
    expect(slots.isTrusted("e")).toBe(false);
  });

  it("connection_slots: at most perAddressMax from one address; a release frees one", () => {
    const slots = new ConnectionSlots<string>({ ...LIMITS, connectionsMax: 10, pressureConnections: 99 });
    slots.admit("a", "10.0.0.1", 0);
    slots.admit("b", "10.0.0.1", 0);
    expect(slots.admit("c", "10.0.0.1", 0)).toEqual({ admitted: false, reason: "perAddress" });
    slots.release("a");
    slots.release("a");
    expect(slots.admit("c", "10.0.0.1", 0).admitted).toBe(true);
  });

  it("connection_slots: under pressure, untrusted connections idle past the bound are closed too", () => {
    const slots = new ConnectionSlots<string>({ connectionsMax: 10, perAddressMax: 10, pressureConnections: 3, idleUnderPressureMs: 1_000 });
    slots.admit("old", "10.0.0.1", 0);
    slots.admit("trusted", "10.0.0.1", 0);
    slots.trust("trusted");
    slots.admit("busy", "10.0.0.1", 0);
    slots.touch("busy", 900);
    expect(slots.admit("new", "10.0.0.1", 1_500)).toEqual({ admitted: true, evicted: [idle("old")] });
    expect(slots.admit("new2", "10.0.0.1", 1_600)).toEqual({ admitted: true, evicted: [] });
    expect(slots.admit("new3", "10.0.0.1", 2_000)).toEqual({ admitted: true, evicted: [idle("busy")] });
    expect(slots.isTrusted("trusted")).toBe(true);
  });

  it("connection_slots: idle ones closed under pressure also count as room when full", () => {
    const slots = new ConnectionSlots<string>({ connectionsMax: 2, perAddressMax: 10, pressureConnections: 1, idleUnderPressureMs: 100 });
    slots.admit("a", "10.0.0.1", 0);
    slots.admit("b", "10.0.0.1", 50);
    expect(slots.admit("c", "10.0.0.1", 120)).toEqual({ admitted: true, evicted: [idle("a")] });
    expect(slots.admit("d", "10.0.0.1", 300)).toEqual({ admitted: true, evicted: [idle("b"), idle("c")] });
  });
});
