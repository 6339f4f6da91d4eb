/**
 * The hive's model catalog: one SQLite table in `RBEE_HOME/hive.db` describing each
 * installed model (reference, commit, format, dtype, folder, size, per-file sha256,
 * pulled-at, last-used).
 *
 * The folders on disk are the truth and the catalog an index of them: when the
 * database is missing or unreadable it is rebuilt from each folder's record
 * (`rbee_model.json`), so a damaged file never keeps the hive from starting.
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { Logger } from "../../shared/log.ts";
import { ModelDtype } from "../../shared/contracts/models.ts";
import { isDir, META_FILE, type ModelFileMeta, type ModelFormat, readModelMeta } from "./model_store.ts";

/** One installed model. */
export interface CatalogEntry {
  ref: string;
  commit: string | null;
  format: ModelFormat;
  dtype: string;
  /** Folder of the model (never sent over the wire). */
  path: string;
  size: number;
  files: ModelFileMeta[];
  pulled_at: string;
  last_used: string | null;
}

// One row per reference and precision: a model pulled in fp32 and q8 is two folders.
const SCHEMA = `CREATE TABLE IF NOT EXISTS models (
  ref TEXT NOT NULL,
  commit_id TEXT,
  format TEXT NOT NULL,
  dtype TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  files TEXT NOT NULL,
  pulled_at TEXT NOT NULL,
  last_used TEXT,
  PRIMARY KEY (ref, dtype)
)`;
/** Bumped when SCHEMA changes; an older catalog is rebuilt from the folders (they are the truth). */
const SCHEMA_VERSION = 2;

const DTYPE_ORDER: readonly string[] = ModelDtype.options;

/** The catalog file under RBEE_HOME. */
export function catalogPath(home: string): string {
  return join(home, "hive.db");
}

/** The installed models, indexed in SQLite. */
export class Catalog {
  /** Wraps an open database; use {@link Catalog.open}. */
  constructor(readonly db: DatabaseSync) {}

  /** Opens the catalog, rebuilding it from the model folders when it is missing or corrupt. */
  static async open(home: string, log: Logger): Promise<Catalog> {
    const file = catalogPath(home);
    await Deno.mkdir(home, { recursive: true });
    const existed = await Deno.stat(file).then(() => true, () => false);
    let opened = existed ? tryOpen(file) : null;
    if (existed && !opened) {
      // Kept aside rather than deleted, for whoever wants to look at it.
      await Deno.rename(file, `${file}.corrupt`).catch(() => Deno.remove(file).catch(() => {}));
      await Deno.remove(`${file}-wal`).catch(() => {});
      await Deno.remove(`${file}-shm`).catch(() => {});
    }
    if (opened?.current) return opened.catalog;
    opened ??= tryOpen(file);
    if (!opened) throw new Error("Cannot create the model catalog");
    const catalog = opened.catalog;
    const count = await catalog.rebuild(home);
    const why = !existed
      ? "was missing"
      : opened.current
      ? "was corrupt (kept as hive.db.corrupt)"
      : "was from an older rbee";
    catalog.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    log.warn(`Model catalog ${why}; rebuilt from the model folders on disk`, { models: count });
    return catalog;
  }

  /** Replaces every entry by what the model folders under `home/models` say; returns the count. */
  async rebuild(home: string): Promise<number> {
    const entries = await scanModels(join(home, "models"));
    this.db.exec("BEGIN");
    try {
      this.db.exec("DELETE FROM models");
      for (const e of entries) this.upsert(e);
      this.db.exec("COMMIT");
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
    return entries.length;
  }

  /** Adds or replaces an entry (keeping its last-used time when the new one has none). */
  upsert(e: CatalogEntry): void {
    this.db.prepare(
      `INSERT INTO models (ref, commit_id, format, dtype, path, size, files, pulled_at, last_used)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(ref, dtype) DO UPDATE SET commit_id = excluded.commit_id, format = excluded.format,
         dtype = excluded.dtype, path = excluded.path, size = excluded.size, files = excluded.files,
         pulled_at = excluded.pulled_at, last_used = COALESCE(excluded.last_used, models.last_used)`,
    ).run(
      e.ref,
      e.commit,
      e.format,
      e.dtype,
      e.path,
      e.size,
      JSON.stringify(e.files),
      e.pulled_at,
      e.last_used,
    );
  }

  /** Records that a worker loaded the model (in `dtype`) now. */
  touch(ref: string, dtype: string, at = new Date()): void {
    this.db.prepare("UPDATE models SET last_used = ? WHERE ref = ? AND dtype = ?").run(
      at.toISOString(),
      ref,
      dtype,
    );
  }

  /** Every entry, by reference. */
  list(): CatalogEntry[] {
    return this.db.prepare("SELECT * FROM models ORDER BY ref, dtype").all().map(toEntry);
  }

  /** The entries of `ref`, one per precision installed (fp32 first), or only the one of `dtype`. */
  get(ref: string, dtype?: string): CatalogEntry[] {
    const rows = dtype === undefined
      ? this.db.prepare("SELECT * FROM models WHERE ref = ?").all(ref)
      : this.db.prepare("SELECT * FROM models WHERE ref = ? AND dtype = ?").all(ref, dtype);
    return rows.map(toEntry).sort((a, b) => DTYPE_ORDER.indexOf(a.dtype) - DTYPE_ORDER.indexOf(b.dtype));
  }

  /** Entries whose folder is `path` (several references may name one commit). */
  byPath(path: string): CatalogEntry[] {
    return this.db.prepare("SELECT * FROM models WHERE path = ?").all(path).map(toEntry);
  }

  /** Forgets `ref` in `dtype`. */
  remove(ref: string, dtype: string): void {
    this.db.prepare("DELETE FROM models WHERE ref = ? AND dtype = ?").run(ref, dtype);
  }

  close(): void {
    this.db.close();
  }
}

/** Opens the file; `current` is false when its schema is older than SCHEMA (now replaced, empty). */
function tryOpen(file: string): { catalog: Catalog; current: boolean } | null {
  let db: DatabaseSync | null = null;
  try {
    db = new DatabaseSync(file);
    db.exec("PRAGMA journal_mode = WAL");
    const version = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'models'").get() !== undefined;
    const current = version === SCHEMA_VERSION || !hasTable;
    if (!current) db.exec("DROP TABLE models");
    db.exec(SCHEMA);
    if (!hasTable) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    const check = db.prepare("PRAGMA quick_check").get() as { quick_check?: string } | undefined;
    if (check?.quick_check !== "ok") throw new Error("quick_check failed");
    db.prepare("SELECT ref FROM models LIMIT 1").all();
    return { catalog: new Catalog(db), current };
  } catch {
    try {
      db?.close();
    } catch { /* already unusable */ }
    return null;
  }
}

function toEntry(row: Record<string, unknown>): CatalogEntry {
  return {
    ref: String(row.ref),
    commit: row.commit_id === null ? null : String(row.commit_id),
    format: row.format === "llama2c" ? "llama2c" : "onnx",
    dtype: String(row.dtype),
    path: String(row.path),
    size: Number(row.size),
    files: JSON.parse(String(row.files)),
    pulled_at: String(row.pulled_at),
    last_used: row.last_used === null ? null : String(row.last_used),
  };
}

/** Every installed folder (one holding `rbee_model.json`) under `root`, skipping work areas. */
export async function scanModels(root: string): Promise<CatalogEntry[]> {
  const out: CatalogEntry[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const meta = await readModelMeta(dir, true);
    if (meta && meta.ref) {
      const size = await folderSize(dir);
      const pulled = meta.pulled_at ?? (await Deno.stat(join(dir, META_FILE))).mtime?.toISOString();
      out.push({
        ref: meta.ref,
        commit: meta.commit ?? null,
        format: meta.format,
        dtype: meta.dtype ?? "fp32",
        path: dir,
        size,
        files: meta.files ?? [],
        pulled_at: pulled ?? new Date(0).toISOString(),
        last_used: null,
      });
      return;
    }
    if (depth > 6) return;
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && !e.name.startsWith(".") && e.name !== "refs") {
        await walk(join(dir, e.name), depth + 1);
      }
    }
  };
  if (await isDir(root)) await walk(root, 0);
  return out;
}

/** Total bytes of the files under `dir`. */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) total += await folderSize(path);
    else if (e.isFile) total += (await Deno.stat(path)).size;
  }
  return total;
}
