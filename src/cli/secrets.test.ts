// Goal: secrets and TLS material come from files (flags or config-file fields) or environment
// variables, file lines are parsed as documented, and problems never quote a secret.
// Method: securityOptions with an in-memory readFile and env.
import { describe, expect, it } from "vitest";
import { parseSecretList, securityOptions } from "./secrets.js";

const FILES: Record<string, string> = {
  "/s/cluster": "# current first\nnew-secret-0123456789\n\nold-secret-0123456789\n",
  "/s/admin": "admin-token-0123456789\n",
  "/s/cert": "CERT",
  "/s/key": "KEY",
  "/s/ca": "CA",
  "/s/acl": '[{"accessKey":"ak","secretKey":"sk-123456"}]',
};
const readFile = (path: string): string => {
  const text = FILES[path];
  if (text === undefined) throw new Error("ENOENT: no such file");
  return text;
};

describe("cli secrets", () => {
  it("cli secrets: a secret file holds one per line; blanks and comments are skipped", () => {
    expect(parseSecretList(FILES["/s/cluster"] as string)).toEqual(["new-secret-0123456789", "old-secret-0123456789"]);
  });

  it("cli secrets: flags name files; the config file may name them too; env is the fallback", () => {
    const { options, problems } = securityOptions(
      { clusterSecretFile: "/s/cluster", tlsCertFile: "/s/cert", tlsKeyFile: "/s/key", tlsRequireClientCert: true },
      { adminTokenFile: "/s/admin", tlsCaFile: "/s/ca", remotingAclFile: "/s/acl" },
      { NAMESRV_BROKER_TOKENS: "b-token-0123456789ab, b-token-2-0123456789", NAMESRV_CLUSTER_SECRET: "ignored-because-file" },
      readFile,
    );
    expect(problems).toEqual([]);
    expect(options).toEqual({
      clusterSecrets: ["new-secret-0123456789", "old-secret-0123456789"],
      adminTokens: ["admin-token-0123456789"],
      brokerTokens: ["b-token-0123456789ab", "b-token-2-0123456789"],
      tls: { cert: "CERT", key: "KEY", ca: "CA", requireClientCert: true },
      remotingAclAccounts: [{ accessKey: "ak", secretKey: "sk-123456" }],
    });
  });

  it("cli secrets: unreadable files and half a key pair are problems naming the field, not the content", () => {
    const { problems } = securityOptions({ clusterSecretFile: "/missing", tlsCertFile: "/s/cert" }, {}, {}, readFile);
    expect(problems).toEqual([
      "'clusterSecretFile' file '/missing' could not be read: ENOENT: no such file",
      "'tlsCertFile' and 'tlsKeyFile' must be given together",
    ]);
  });
});
