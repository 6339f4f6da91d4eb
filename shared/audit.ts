/**
 * The tamper-evident audit log: one JSON object per line, each carrying the
 * hash of the record before it and a SHA-256 over all of its own fields, so
 * an edit, a deletion or a reordering breaks the chain. One chain per
 * service, in daily files `<service>-YYYY-MM-DD.jsonl` (mode 0600); the chain
 * continues across files and restarts. Records are written and flushed to
 * disk before `record` returns.
 */
import { createHash } from "node:crypto";

/** The `prev` of a chain's first record. */
export const GENESIS = "0".repeat(64);

/** What happened, as the caller describes it. */
export interface AuditEvent {
  event: string;
  /** Token fingerprint of who did it, or null. */
  actor: string | null;
  subject?: string;
  outcome: "success" | "failure";
  correlation_id?: string;
  details?: Record<string, unknown>;
}

/** One line of the log. */
export interface AuditRecord extends AuditEvent {
  time: string;
  service: string;
  prev: string;
  hash: string;
}

/** The hash of a record: SHA-256 over its JSON without the `hash` field, keys in a fixed order. */
export function recordHash(record: Omit<AuditRecord, "hash">): string {
  const { time, service, event, actor, subject, outcome, correlation_id, details, prev } = record;
  const canonical = JSON.stringify({
    time,
    service,
    event,
    actor,
    subject,
    outcome,
    correlation_id,
    details,
    prev,
  });
  return createHash("sha256").update(canonical).digest("hex");
}

/** Name of the file a service writes on `date`. */
export function auditFileName(service: string, date: Date): string {
  return `${service}-${date.toISOString().slice(0, 10)}.jsonl`;
}

/** Files of one service's chain, oldest first. */
export function chainFiles(names: string[], service: string): string[] {
  const pattern = new RegExp(`^${service}-\\d{4}-\\d{2}-\\d{2}\\.jsonl$`);
  return names.filter((n) => pattern.test(n)).sort();
}

/** Appends hash-chained records for one service. */
export class AuditLog {
  #prev: string;
  readonly #encoder = new TextEncoder();

  private constructor(readonly dir: string, readonly service: string, prev: string) {
    this.#prev = prev;
  }

  /** Opens the log in `dir`, continuing the chain from the service's last record. */
  static open(dir: string, service: string): AuditLog {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = chainFiles([...Deno.readDirSync(dir)].map((e) => e.name), service);
    let prev = GENESIS;
    const last = files.at(-1);
    if (last) {
      const lines = Deno.readTextFileSync(`${dir}/${last}`).split("\n").filter(Boolean);
      if (lines.length) prev = JSON.parse(lines.at(-1)!).hash;
    }
    return new AuditLog(dir, service, prev);
  }

  /** Writes one record and flushes it to disk. */
  record(event: AuditEvent, now = new Date()): AuditRecord {
    const base = { time: now.toISOString(), service: this.service, ...event, prev: this.#prev };
    const record: AuditRecord = { ...base, hash: recordHash(base) };
    const file = Deno.openSync(`${this.dir}/${auditFileName(this.service, now)}`, {
      create: true,
      append: true,
      mode: 0o600,
    });
    try {
      file.writeSync(this.#encoder.encode(JSON.stringify(record) + "\n"));
      file.syncSync();
    } finally {
      file.close();
    }
    this.#prev = record.hash;
    return record;
  }
}

/** Where a chain first breaks, or null when intact. */
export interface ChainBreak {
  file: string;
  line: number;
  reason: string;
}

/** Checks every chain in `dir`; returns the first break, or null when all are intact. */
export function verifyAuditDir(dir: string): { records: number; broken: ChainBreak | null } {
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".jsonl"));
  const services = [...new Set(names.map((n) => n.replace(/-\d{4}-\d{2}-\d{2}\.jsonl$/, "")))].sort();
  let records = 0;
  for (const service of services) {
    let prev = GENESIS;
    for (const file of chainFiles(names, service)) {
      const lines = Deno.readTextFileSync(`${dir}/${file}`).split("\n");
      if (lines.at(-1) === "") lines.pop();
      for (let i = 0; i < lines.length; i++) {
        const reason = checkLine(lines[i], prev);
        if (typeof reason === "string") return { records, broken: { file, line: i + 1, reason } };
        prev = reason.hash;
        records++;
      }
    }
  }
  return { records, broken: null };
}

function checkLine(line: string, prev: string): AuditRecord | string {
  let record: AuditRecord;
  try {
    record = JSON.parse(line);
  } catch {
    return "the line is not a complete JSON record (truncated or edited)";
  }
  if (typeof record?.hash !== "string") return "the record has no hash";
  const { hash, ...rest } = record;
  if (recordHash(rest) !== hash) return "the record's contents do not match its hash (edited)";
  if (record.prev !== prev) {
    return "the record does not follow the one before it (deleted or reordered records)";
  }
  return record;
}
