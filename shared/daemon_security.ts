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

  /**
   * Re-reads the token and returns its fingerprint. A failed read keeps the old
   * token, and so does finding none: a reload must never leave a daemon open.
   */
  reload(): string | null {
    const next = this.load();
    if (next === null && this.#token !== null) {
      throw new Error("No token found on reload; keeping the previous one");
    }
    this.#token = next;
    return next ? fingerprint(next) : null;
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
    const failure = outcome.ok ? undefined : { code: outcome.error.code };
    audit.record({
      event: "auth",
      actor: outcome.ok ? outcome.actor : null,
      subject: path,
      outcome: outcome.ok ? "success" : "failure",
      details: failure,
    });
  };
  return { tokens, audit, onAuth };
}
