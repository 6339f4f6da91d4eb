/**
 * A daemon's security set-up, the same in every role: load its token (and
 * re-read it on SIGHUP), apply the loopback-only rule for tokenless daemons,
 * open the audit log when asked, and record authentication outcomes.
 */
import { AuditLog } from "./audit.ts";
import { type AuthOutcome, checkBindPolicy, type TokenHolder } from "./auth.ts";
import type { Logger } from "./log.ts";
import { fingerprint, loadToken, type TokenSources } from "./token.ts";

/** A daemon's token, reloadable without a restart. */
export class TokenStore implements TokenHolder {
  #token: string | null;
  constructor(private readonly load: () => string | null) {
    this.#token = load();
  }

  /** The token in force. */
  current(): string | null {
    return this.#token;
  }

  /** Re-reads the token; a failed read keeps the old one. Returns the new fingerprint. */
  reload(): string | null {
    this.#token = this.load();
    return this.#token ? fingerprint(this.#token) : null;
  }
}

/** Where the daemon's token and audit folder come from. */
export interface SecurityOptions {
  service: string;
  host: string;
  tokenFile?: string;
  auditDir?: string;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Environment variable holding the token (default RBEE_TOKEN). */
  tokenEnvVar?: string;
}

/** What a daemon's app and main need for security. */
export interface DaemonSecurity {
  tokens: TokenStore;
  audit: AuditLog | null;
  /** Records an authentication outcome (failures flushed to disk at once). */
  onAuth(outcome: AuthOutcome, path: string): void;
}

/** Loads the token, checks the bind rule (throws), opens the audit log, installs SIGHUP reload. */
export function setupDaemonSecurity(opts: SecurityOptions): DaemonSecurity {
  const sources: TokenSources = {
    file: opts.tokenFile,
    credential: "rbee-token",
    envVar: opts.tokenEnvVar ?? "RBEE_TOKEN",
    fileEnvVar: "RBEE_TOKEN_FILE",
  };
  const tokens = new TokenStore(() => loadToken(sources, opts.env));
  const warning = checkBindPolicy(opts.service, opts.host, tokens.current());
  if (warning) opts.log.warn(warning);
  const auditDir = opts.auditDir ?? opts.env.RBEE_AUDIT_DIR;
  const audit = auditDir ? AuditLog.open(auditDir, opts.service) : null;
  Deno.addSignalListener("SIGHUP", () => {
    try {
      const fp = tokens.reload();
      opts.log.info("Token reloaded", { fingerprint: fp });
      audit?.record({ event: "token_reload", actor: null, subject: fp ?? undefined, outcome: "success" });
    } catch (err) {
      opts.log.error("Token reload failed; keeping the previous token", { error: (err as Error).message });
      audit?.record({ event: "token_reload", actor: null, outcome: "failure" });
    }
  });
  const onAuth = (outcome: AuthOutcome, path: string) => {
    if (!audit) return;
    if (outcome.ok) audit.record({ event: "auth", actor: outcome.actor, subject: path, outcome: "success" });
    else {audit.record({
        event: "auth",
        actor: null,
        subject: path,
        outcome: "failure",
        details: { code: outcome.error.code },
      });}
  };
  return { tokens, audit, onAuth };
}
