/**
 * The token `rbee` sends to a queen: `--token-file`, else RBEE_TOKEN_FILE,
 * else RBEE_TOKEN; none is fine for a queen on loopback without a token.
 */
import { loadToken } from "../shared/token.ts";

/** Finds the client's token; throws a clear error for an unusable one. */
export function clientToken(
  tokenFile: string | undefined,
  env: Record<string, string | undefined>,
): string | null {
  return loadToken({
    file: tokenFile,
    credential: "rbee-token",
    envVar: "RBEE_TOKEN",
    fileEnvVar: "RBEE_TOKEN_FILE",
  }, {
    ...env,
    CREDENTIALS_DIRECTORY: undefined, // systemd credentials are for daemons
  });
}
