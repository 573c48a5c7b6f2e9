// Goal: parseConfig accepts every documented default and rejects every broken rule with a
// message naming the field and quoting the value, all problems in one ConfigError.
// Method: table of inputs -> expected problem substrings; presets parsed and compared.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import * as limits from "../limits.js";
import {
  CLOCK_OFFSET_MS_MAX,
  FRAME_BYTES_MAX_MIN,
  defaultConfig,
  localConfig,
  parseConfig,
  testMinConfig,
  type Config,
} from "./config.js";

function problemsOf(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("config: fills every default from limits.ts", () => {
    const config: Config = parseConfig({});
    expect(config).toEqual({
      id: "ns-9877",
      host: "0.0.0.0",
      port: 9877,
      remotingPort: 9876,
      peers: [],
      peerDns: [],
      advertiseAddr: null,
      brokerExpiryMs: limits.BROKER_EXPIRY_MS,
      remotingBrokerExpiryMs: limits.REMOTING_BROKER_EXPIRY_MS,
      suspicionMs: limits.SUSPICION_MS,
      startupGraceMs: limits.STARTUP_GRACE_MS,
      dataDir: null,
      logLevel: "info",
      orderMessageEnable: false,
      frameBytesMax: limits.FRAME_BYTES_MAX,
      sendBufferBytesMax: limits.SEND_BUFFER_BYTES_MAX,
      connectionsMax: limits.CONNECTIONS_MAX,
      inflightRequestsPerConnectionMax: limits.INFLIGHT_REQUESTS_PER_CONNECTION_MAX,
      topicsMax: limits.TOPICS_MAX,
      brokersMax: limits.BROKERS_MAX,
      clusterSecrets: [],
      brokerTokens: [],
      adminTokens: [],
      clientTokens: [],
      requireClientToken: false,
      tls: null,
      remotingAdminAllow: null,
      remotingBrokerAllow: null,
      remotingAclAccounts: [],
      remotingTlsMode: "disabled",
      connectionsPerAddressMax: limits.CONNECTIONS_PER_ADDRESS_MAX,
      clientFrameBytesMax: limits.CLIENT_FRAME_BYTES_MAX,
      helloTimeoutMs: limits.HELLO_TIMEOUT_MS,
      clockOffsetMs: 0,
    });
  });

  it("config: returns a frozen object with a frozen peer list", () => {
    const config = parseConfig({ peers: ["10.0.0.2:9877"] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.peers)).toBe(true);
  });

  it("config: peerDns takes host:port names, frozen, beside or instead of peers", () => {
    const config = parseConfig({ peerDns: ["namesrv-headless:9877", "[fd00::1]:9877"] });
    expect(config.peerDns).toEqual(["namesrv-headless:9877", "[fd00::1]:9877"]);
    expect(config.peers).toEqual([]);
    expect(Object.isFrozen(config.peerDns)).toBe(true);
  });

  it("config: default id derives from the port", () => {
    expect(parseConfig({ port: 1234 }).id).toBe("ns-1234");
    expect(parseConfig({ id: "n1", port: 1234 }).id).toBe("n1");
  });

  it("config: remotingPort null or -1 disables the remoting listener", () => {
    expect(parseConfig({ remotingPort: null }).remotingPort).toBeNull();
    expect(parseConfig({ remotingPort: -1 }).remotingPort).toBeNull();
    expect(parseConfig({ remotingPort: 0 }).remotingPort).toBe(0);
  });

  it("config: rejects a non-object input", () => {
    expect(() => parseConfig(42)).toThrow(ConfigError);
    expect(() => parseConfig(null)).toThrow(/must be an object/);
    expect(() => parseConfig([])).toThrow(ConfigError);
  });

  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ["unknown field", { prot: 1 }, "unknown field 'prot'"],
    ["id pattern", { id: "a b" }, "'id' must be 1..64 chars of [A-Za-z0-9_.-], got 'a b'"],
    ["id too long", { id: "x".repeat(65) }, "'id' must be 1..64"],
    ["host type", { host: 12 }, "'host' must be a host name or IP address, got 12"],
    ["host pattern", { host: "a b" }, "'host' must be a host name"],
    ["port range", { port: 70000 }, "'port' must be an integer in 0..65535, got 70000"],
    ["port type", { port: "80" }, "'port' must be an integer in 0..65535, got '80'"],
    ["port fraction", { port: 1.5 }, "'port' must be an integer"],
    ["remotingPort range", { remotingPort: -2 }, "'remotingPort' must be an integer in 0..65535, or null/-1"],
    ["peers type", { peers: "a:1" }, "'peers' must be an array of host:port, got 'a:1'"],
    ["peer format", { peers: ["nohost"] }, "'peers[0]' must be host:port with a port in 1..65535, got 'nohost'"],
    ["peer port", { peers: ["a:0"] }, "'peers[0]' must be host:port"],
    ["peer repeated", { peers: ["a:1", "a:1"] }, "'peers[1]' must not repeat an earlier peer, got 'a:1'"],
    [
      "too many peers",
      { peers: Array.from({ length: limits.PEERS_MAX + 1 }, (_, i) => `h${i}:1`) },
      `'peers' must have at most ${limits.PEERS_MAX} entries`,
    ],
    ["advertiseAddr", { advertiseAddr: "x" }, "'advertiseAddr' must be host:port"],
    ["peerDns type", { peerDns: "namesrv:9877" }, "'peerDns' must be an array of host:port, got 'namesrv:9877'"],
    ["peerDns format", { peerDns: ["namesrv"] }, "'peerDns[0]' must be host:port with a port in 1..65535, got 'namesrv'"],
    ["peerDns repeated", { peerDns: ["a:1", "a:1"] }, "'peerDns[1]' must not repeat an earlier name, got 'a:1'"],
    [
      "too many peerDns names",
      { peerDns: Array.from({ length: limits.PEER_DNS_NAMES_MAX + 1 }, (_, i) => `h${i}:1`) },
      `'peerDns' must have at most ${limits.PEER_DNS_NAMES_MAX} entries`,
    ],
    [
      "brokerExpiryMs below min",
      { brokerExpiryMs: limits.BROKER_EXPIRY_MS_MIN - 1 },
      `'brokerExpiryMs' must be an integer in ${limits.BROKER_EXPIRY_MS_MIN}..${limits.BROKER_EXPIRY_MS_MAX}`,
    ],
    ["brokerExpiryMs above max", { brokerExpiryMs: limits.BROKER_EXPIRY_MS_MAX + 1 }, "'brokerExpiryMs' must be an integer"],
    ["remotingBrokerExpiryMs", { remotingBrokerExpiryMs: 1 }, "'remotingBrokerExpiryMs' must be an integer"],
    ["suspicionMs", { suspicionMs: 1 }, "'suspicionMs' must be an integer"],
    ["startupGraceMs", { startupGraceMs: -1 }, "'startupGraceMs' must be an integer"],
    ["dataDir", { dataDir: "" }, "'dataDir' must be a non-empty path or null, got ''"],
    ["logLevel", { logLevel: "loud" }, "'logLevel' must be one of trace|debug|info|warn|error|fatal, got 'loud'"],
    ["orderMessageEnable", { orderMessageEnable: "yes" }, "'orderMessageEnable' must be true or false"],
    ["frameBytesMax above hard max", { frameBytesMax: limits.FRAME_BYTES_MAX + 1 }, "'frameBytesMax' must be an integer"],
    ["frameBytesMax below min", { frameBytesMax: FRAME_BYTES_MAX_MIN - 1 }, "'frameBytesMax' must be an integer"],
    ["sendBufferBytesMax", { sendBufferBytesMax: limits.SEND_BUFFER_BYTES_MAX + 1 }, "'sendBufferBytesMax' must be an integer"],
    ["connectionsMax", { connectionsMax: 0 }, "'connectionsMax' must be an integer in 1..50000"],
    ["inflight", { inflightRequestsPerConnectionMax: 0 }, "'inflightRequestsPerConnectionMax' must be an integer"],
    ["topicsMax", { topicsMax: limits.TOPICS_MAX + 1 }, "'topicsMax' must be an integer"],
    ["brokersMax", { brokersMax: 0 }, "'brokersMax' must be an integer"],
    ["remotingPort equals port", { port: 5000, remotingPort: 5000 }, "'remotingPort' must differ from 'port' (5000), got 5000"],
    [
      "send buffer below frame",
      { frameBytesMax: 8192, sendBufferBytesMax: 4096 },
      "'sendBufferBytesMax' must be at least 'frameBytesMax' (8192) so one frame fits, got 4096",
    ],
    ["suspicion above expiry", { suspicionMs: 20_000 }, "'suspicionMs' must be at most 'brokerExpiryMs' (10000), got 20000"],
    ["peer is self", { port: 5000, peers: ["127.0.0.1:5000"] }, "'peers' must not contain this node's own address"],
    [
      "peer is advertised self",
      { advertiseAddr: "ns1:9877", peers: ["ns1:9877"] },
      "'peers' must not contain this node's own address, got 'ns1:9877'",
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(`config: rejects ${name}`, () => {
      expect(problemsOf(input).join("\n")).toContain(expected);
    });
  }

  it("config: reports all problems together in one ConfigError", () => {
    const problems = problemsOf({ port: -1, logLevel: 3, peers: ["x"], brokerExpiryMs: 0, bogus: true });
    expect(problems).toHaveLength(5);
    expect(problems.join("\n")).toMatch(/'port'.*'logLevel'|'logLevel'.*'port'/s);
    let message = "";
    try {
      parseConfig({ port: -1, logLevel: 3 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("'port' must be an integer in 0..65535, got -1");
    expect(message).toContain("'logLevel' must be one of");
  });

  it("config: quotes long values cut to 64 chars", () => {
    const [problem] = problemsOf({ id: "y".repeat(200) });
    expect(problem).toContain("...");
    expect((problem ?? "").length).toBeLessThan(150);
  });

  it("config: presets parse and differ as documented", () => {
    expect(defaultConfig()).toEqual(parseConfig({}));
    const local = localConfig();
    expect(local.host).toBe("127.0.0.1");
    expect(local.port).toBe(0);
    expect(local.brokerExpiryMs).toBe(limits.BROKER_EXPIRY_MS_MIN);
    expect(local.startupGraceMs).toBe(0);
    const min = testMinConfig();
    expect(min.frameBytesMax).toBe(FRAME_BYTES_MAX_MIN);
    expect(min.connectionsMax).toBe(1);
    expect(min.inflightRequestsPerConnectionMax).toBe(1);
    expect(localConfig({ port: 7000 }).port).toBe(7000);
  });
});

describe("config: security (issue #7)", () => {
  const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it("config: secrets and tokens are lists of 16..1024 chars, and problems never quote them", () => {
    const problems = problemsOf({ clusterSecrets: ["short-secret", "x".repeat(20), "x".repeat(20)], adminTokens: "one" });
    expect(problems).toEqual([
      "'clusterSecrets[0]' must be 16..1024 characters without whitespace, got a value of 12 characters",
      "'clusterSecrets[2]' must not repeat an earlier entry",
      "'adminTokens' must be an array of strings, got string",
    ]);
    expect(problems.join(" ")).not.toContain("short-secret");
    expect(parseConfig({ clusterSecrets: ["a".repeat(16), "b".repeat(16)] }).clusterSecrets).toEqual(["a".repeat(16), "b".repeat(16)]);
  });

  it("config: requireClientToken needs a token list", () => {
    expect(problemsOf({ requireClientToken: true })).toEqual(["'requireClientToken' needs at least one client, broker or admin token, got true"]);
    expect(parseConfig({ requireClientToken: true, clientTokens: ["c".repeat(16)] }).requireClientToken).toBe(true);
  });

  it("config: tls needs PEM cert and key; requireClientCert needs a CA", () => {
    expect(parseConfig({ tls: { cert: PEM, key: PEM } }).tls).toEqual({ cert: PEM, key: PEM, ca: null, requireClientCert: false });
    expect(problemsOf({ tls: { cert: "nope", requireClientCert: true, extra: 1 } })).toEqual([
      "unknown field 'tls.extra'",
      "'tls.cert' must be PEM text (-----BEGIN ...-----)",
      "'tls.key' is required (PEM text)",
      "'tls.requireClientCert' needs 'tls.ca' to verify client certificates",
    ]);
  });

  it("config: remoting allow lists hold IP addresses; ACL accounts need keys", () => {
    expect(parseConfig({ remotingAdminAllow: ["10.0.0.1", "::1"] }).remotingAdminAllow).toEqual(["10.0.0.1", "::1"]);
    expect(problemsOf({ remotingBrokerAllow: ["host.example"], remotingAclAccounts: [{ accessKey: "ak", secretKey: "123" }] })).toEqual([
      "'remotingBrokerAllow[0]' must be an IPv4 or IPv6 address, got 'host.example'",
      "'remotingAclAccounts[0].secretKey' must be 6..1024 chars",
    ]);
  });

  it("config: ACL accounts take a role (broker or admin, default admin) and are bounded", () => {
    const accounts = parseConfig({
      remotingAclAccounts: [
        { accessKey: "rocketmq-broker", secretKey: "broker-secret", role: "broker" },
        { accessKey: "rocketmq-admin", secretKey: "admin-secret" },
      ],
    }).remotingAclAccounts;
    expect(accounts).toEqual([
      { accessKey: "rocketmq-broker", secretKey: "broker-secret", role: "broker" },
      { accessKey: "rocketmq-admin", secretKey: "admin-secret", role: "admin" },
    ]);
    expect(problemsOf({ remotingAclAccounts: [{ accessKey: "ak", secretKey: "secret-1", role: "root", extra: 1 }] })).toEqual([
      "unknown field 'remotingAclAccounts[0].extra'",
      "'remotingAclAccounts[0].role' must be one of broker|admin, got 'root'",
    ]);
    expect(problemsOf({ remotingAclAccounts: [{ accessKey: "a k", secretKey: "secret-1" }] })).toEqual([
      "'remotingAclAccounts[0].accessKey' must be 1..128 chars without whitespace, got 'a k'",
    ]);
    const many = Array.from({ length: limits.REMOTING_ACL_ACCOUNTS_MAX + 1 }, (_, index) => ({ accessKey: `ak${index}`, secretKey: "secret-1" }));
    expect(problemsOf({ remotingAclAccounts: many })).toEqual([`'remotingAclAccounts' must have at most 16 accounts, got 17`]);
    expect(problemsOf({ remotingAclAccounts: { accessKey: "ak" } })).toEqual([
      "'remotingAclAccounts' must be an array of {accessKey, secretKey, role?}, got object",
    ]);
  });

  it("config: remotingTlsMode is disabled|permissive|enforcing and needs the node's certificate", () => {
    expect(parseConfig({}).remotingTlsMode).toBe("disabled");
    expect(parseConfig({ remotingTlsMode: "enforcing", tls: { cert: PEM, key: PEM } }).remotingTlsMode).toBe("enforcing");
    expect(parseConfig({ remotingTlsMode: "permissive", tls: { cert: PEM, key: PEM } }).remotingTlsMode).toBe("permissive");
    expect(problemsOf({ remotingTlsMode: "permissive" })).toEqual([
      "'remotingTlsMode' needs the node's certificate: 'tls' (--tls-cert-file and --tls-key-file), got 'permissive'",
    ]);
    expect(problemsOf({ remotingTlsMode: "on", tls: { cert: PEM, key: PEM } })).toEqual(["'remotingTlsMode' must be one of disabled|permissive|enforcing, got 'on'"]);
  });

  it("config: abuse limits may be lowered, never raised past their hard maximum", () => {
    const config = parseConfig({ connectionsPerAddressMax: 2, inflightRequestsPerConnectionMax: 5, helloTimeoutMs: 500 });
    expect(config).toMatchObject({ connectionsPerAddressMax: 2, inflightRequestsPerConnectionMax: 5, helloTimeoutMs: 500 });
    expect(problemsOf({ connectionsPerAddressMax: limits.CONNECTIONS_PER_ADDRESS_MAX + 1 })).toHaveLength(1);
    expect(problemsOf({ clientFrameBytesMax: limits.CLIENT_FRAME_BYTES_MAX + 1 })).toHaveLength(1);
    expect(parseConfig({ frameBytesMax: 8_192 }).clientFrameBytesMax).toBe(8_192);
  });

  it("config: the test-only clock offset defaults to 0 and stays within an hour either way", () => {
    expect(parseConfig({}).clockOffsetMs).toBe(0);
    expect(parseConfig({ clockOffsetMs: -CLOCK_OFFSET_MS_MAX }).clockOffsetMs).toBe(-CLOCK_OFFSET_MS_MAX);
    expect(parseConfig({ clockOffsetMs: 90_000 }).clockOffsetMs).toBe(90_000);
    expect(problemsOf({ clockOffsetMs: CLOCK_OFFSET_MS_MAX + 1 })).toEqual([
      `'clockOffsetMs' must be an integer in -${CLOCK_OFFSET_MS_MAX}..${CLOCK_OFFSET_MS_MAX}, got ${CLOCK_OFFSET_MS_MAX + 1}`,
    ]);
    expect(problemsOf({ clockOffsetMs: "5s" })).toHaveLength(1);
    expect(problemsOf({ clockOffsetMs: 1.5 })).toHaveLength(1);
  });
});
