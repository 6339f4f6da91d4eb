/**
 * The first steps every daemon's main takes: `--help`, configuration (a bad
 * flag exits with code 2 and one line), the logger, and its security set-up.
 */
import { exitWithError } from "./flags.ts";
import { createLogger, type LogFields, type Logger } from "./log.ts";
import { type DaemonSecurity, setupDaemonSecurity } from "./daemon_security.ts";

/** What a daemon's configuration must say for its security set-up. */
export interface SecuredConfig {
  host: string;
  tokenFile?: string;
  auditDir?: string;
}

/** A booted daemon: its configuration, logger and security. */
export interface Booted<C> {
  config: C;
  log: Logger;
  security: DaemonSecurity;
}

/** Parses the configuration and sets up logging and security, or exits with a clear message. */
export function bootDaemon<C extends SecuredConfig>(opts: {
  service: string;
  usage: string;
  loadConfig: (args: string[], env: Record<string, string | undefined>) => C;
  logFields?: (config: C) => LogFields;
}): Booted<C> {
  if (Deno.args.includes("--help")) {
    console.log(opts.usage);
    Deno.exit(0);
  }
  const env = Deno.env.toObject();
  try {
    const config = opts.loadConfig(Deno.args, env);
    const log = createLogger(opts.service, undefined, opts.logFields?.(config));
    const security = setupDaemonSecurity({
      service: opts.service,
      host: config.host,
      tokenFile: config.tokenFile,
      auditDir: config.auditDir,
      env,
      log,
    });
    return { config, log, security };
  } catch (err) {
    exitWithError(err, 2);
  }
}
