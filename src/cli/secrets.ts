// Secrets, tokens and TLS material for the CLI (issue #7): read from files named by flags or by
// the JSON config file, or from environment variables, never from flag values (which `ps`
// shows). Pure apart from the injected readFile, so it is unit-tested without a disk.

/** Reads a file as UTF-8; throws with the OS message when it cannot. */
export type ReadFile = (path: string) => string;

/** Environment variables the server reads secrets from; lists are separated by ','. */
export const SECRET_ENV = {
  clusterSecrets: "NAMESRV_CLUSTER_SECRET",
  brokerTokens: "NAMESRV_BROKER_TOKENS",
  adminTokens: "NAMESRV_ADMIN_TOKENS",
  clientTokens: "NAMESRV_CLIENT_TOKENS",
} as const;

/** Environment variable a client command reads its token from. */
export const CLIENT_TOKEN_ENV = "NAMESRV_TOKEN";

/** File-valued settings, as flags (camelCase from commander) and as JSON config file fields. */
export interface SecurityFileFlags {
  readonly clusterSecretFile?: string;
  readonly brokerTokenFile?: string;
  readonly adminTokenFile?: string;
  readonly clientTokenFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tlsCaFile?: string;
  readonly remotingAclFile?: string;
  /** Not a file: refuse TLS clients without a certificate signed by the CA. */
  readonly tlsRequireClientCert?: boolean;
}

/** The fields of SecurityFileFlags that name files. */
type FileField = Exclude<keyof SecurityFileFlags, "tlsRequireClientCert">;

/** Config-file fields this module consumes (they are not Config fields themselves). */
export const SECURITY_FILE_FIELDS: readonly (keyof SecurityFileFlags)[] = [
  "clusterSecretFile",
  "brokerTokenFile",
  "adminTokenFile",
  "clientTokenFile",
  "tlsCertFile",
  "tlsKeyFile",
  "tlsCaFile",
  "remotingAclFile",
  "tlsRequireClientCert",
];

/** One secret per line, current first; blank lines and lines starting with '#' are skipped. */
export function parseSecretList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * Turns file flags (over the same fields of the config file) and environment variables into
 * Config options: clusterSecrets, brokerTokens, adminTokens, clientTokens, tls and
 * remotingAclAccounts. Problems name the flag or variable, never a secret.
 */
export function securityOptions(
  flags: SecurityFileFlags,
  fileOptions: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadFile,
): { options: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  const options: Record<string, unknown> = {};
  const pathOf = (field: Exclude<keyof SecurityFileFlags, "tlsRequireClientCert">): string | undefined => {
    const fromFile = fileOptions[field];
    if (fromFile !== undefined && typeof fromFile !== "string") problems.push(`config field '${field}' must be a file path`);
    return flags[field] ?? (typeof fromFile === "string" ? fromFile : undefined);
  };
  const read = (field: FileField, path: string): string | null => {
    try {
      return readFile(path);
    } catch (error) {
      problems.push(`'${field}' file '${path}' could not be read: ${(error as Error).message}`);
      return null;
    }
  };
  const lists: ReadonlyArray<[keyof typeof SECRET_ENV, FileField]> = [
    ["clusterSecrets", "clusterSecretFile"],
    ["brokerTokens", "brokerTokenFile"],
    ["adminTokens", "adminTokenFile"],
    ["clientTokens", "clientTokenFile"],
  ];
  for (const [option, fileField] of lists) {
    const path = pathOf(fileField);
    const envValue = env[SECRET_ENV[option]];
    if (path !== undefined) {
      const text = read(fileField, path);
      if (text !== null) options[option] = parseSecretList(text);
    } else if (envValue !== undefined && envValue.trim() !== "") {
      options[option] = envValue.split(",").map((item) => item.trim()).filter((item) => item !== "");
    }
  }
  const tls = tlsOptions(pathOf, read, problems);
  const requireClientCert = flags.tlsRequireClientCert ?? fileOptions["tlsRequireClientCert"];
  if (tls !== undefined) options["tls"] = requireClientCert === undefined ? tls : { ...tls, requireClientCert };
  const aclPath = pathOf("remotingAclFile");
  if (aclPath !== undefined) {
    const text = read("remotingAclFile", aclPath);
    if (text !== null) {
      try {
        options["remotingAclAccounts"] = JSON.parse(text) as unknown;
      } catch (error) {
        problems.push(`'remotingAclFile' '${aclPath}' must hold JSON [{accessKey, secretKey, role?}]: ${(error as Error).message}`);
      }
    }
  }
  return { options, problems };
}

function tlsOptions(
  pathOf: (field: FileField) => string | undefined,
  read: (field: FileField, path: string) => string | null,
  problems: string[],
): Record<string, unknown> | undefined {
  const certPath = pathOf("tlsCertFile");
  const keyPath = pathOf("tlsKeyFile");
  const caPath = pathOf("tlsCaFile");
  if (certPath === undefined && keyPath === undefined) {
    if (caPath !== undefined) problems.push("'tlsCaFile' needs 'tlsCertFile' and 'tlsKeyFile'");
    return undefined;
  }
  if (certPath === undefined || keyPath === undefined) {
    problems.push("'tlsCertFile' and 'tlsKeyFile' must be given together");
    return undefined;
  }
  const cert = read("tlsCertFile", certPath);
  const key = read("tlsKeyFile", keyPath);
  const ca = caPath === undefined ? null : read("tlsCaFile", caPath);
  return { cert, key, ca };
}
