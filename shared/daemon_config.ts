/**
 * The listening address every daemon takes: `--host` and `--port`, with port 0
 * meaning "pick a free one".
 */
import { z } from "zod";

/** A port to bind: 0 (any free port) or an unprivileged port, 1024–65535. */
export const BindPort = z.coerce.number().int().refine((p) => p === 0 || (p >= 1024 && p <= 65535), {
  message: "Expected 0 (any free port) or a port from 1024 to 65535",
});

/** Host and port a daemon binds. */
export const ListenConfig = z.object({
  host: z.string().min(1).max(255).regex(/^[A-Za-z0-9.:\-\[\]]+$/, "Expected a host name or IP address"),
  port: BindPort,
});
/** Host and port a daemon binds. */
export type ListenConfig = z.infer<typeof ListenConfig>;

/** Flag definitions for `--host` and `--port`. */
export const LISTEN_FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
} as const;

/** Where rbee keeps its state: `RBEE_HOME`, else `~/.rbee`. */
export function rbeeHome(env: Record<string, string | undefined>): string {
  if (env.RBEE_HOME) return env.RBEE_HOME;
  const home = env.HOME ?? env.USERPROFILE ?? ".";
  return `${home}/.rbee`;
}
