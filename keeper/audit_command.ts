/**
 * `rbee audit verify DIR`: checks every hash chain in an audit folder and
 * names the first broken record.
 */
import type { Command } from "./command.ts";
import { verifyAuditDir } from "../shared/audit.ts";

const USAGE = `rbee audit verify DIR — check an audit log folder (RBEE_AUDIT_DIR) for tampering

Every record carries the hash of the one before it and a hash of itself, so an
edited, deleted, reordered or truncated record breaks the chain. Prints the
first broken record (file, line, reason). Exit code 0 only if every chain is intact.`;

/** The `audit` command. */
export const auditCommand: Command = {
  summary: "verify the tamper-evident audit log",
  usage: USAGE,
  run(args) {
    if (args[0] !== "verify" || args.length !== 2) {
      console.error("usage: rbee audit verify DIR");
      return Promise.resolve(2);
    }
    let result;
    try {
      result = verifyAuditDir(args[1]);
    } catch (err) {
      console.error(`error: cannot read the audit folder: ${(err as Error).message}`);
      return Promise.resolve(2);
    }
    if (result.broken) {
      const { file, line, reason } = result.broken;
      console.error(`BROKEN: ${file} line ${line}: ${reason}`);
      return Promise.resolve(1);
    }
    console.log(`OK: ${result.records} records, every chain intact`);
    return Promise.resolve(0);
  },
};
