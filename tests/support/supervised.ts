/**
 * A Supervisor driving fake worker processes (tests/support/fake_worker.ts) in
 * a temporary folder, with a minimal hive endpoint for their ready calls and a
 * logger that keeps every line; afterwards, no process mentioning the folder
 * may be left.
 */
import type { LogFields, Logger } from "../../shared/log.ts";
import { Supervisor, type SupervisorOptions } from "../../hive/supervisor.ts";
import { pidsMentioning, waitGone } from "./processes.ts";

const FAKE_WORKER = new URL("./fake_worker.ts", import.meta.url).pathname;

/** A log line kept by {@link memoryLogger}. */
export interface LogLine extends LogFields {
  level: string;
  msg: string;
}

/** A logger that keeps its lines in `lines`. */
export function memoryLogger(lines: LogLine[] = [], base: LogFields = {}): Logger & { lines: LogLine[] } {
  const at = (level: string) => (msg: string, fields?: LogFields) =>
    void lines.push({ ...base, ...fields, level, msg });
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    with: (fields) => memoryLogger(lines, { ...base, ...fields }),
  };
}

/** What a supervised test gets. */
export interface Supervised {
  supervisor: Supervisor;
  dir: string;
  log: LogLine[];
}

/** Options: how fake workers behave (`mode` or a per-launch `plan`) plus supervisor options. */
export type FakeOptions = Partial<SupervisorOptions> & { mode?: string; plan?: string[] };

/** Runs `fn` with a supervisor of fake workers; stops everything and checks nothing is left. */
export async function withFakeWorkers(
  opts: FakeOptions,
  fn: (s: Supervised) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "rbee-supervision-" });
  const log = memoryLogger();
  let supervisor: Supervisor | null = null;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const m = new URL(req.url).pathname.match(/^\/v1\/workers\/([^/]+)\/ready$/);
    if (!m || !supervisor) return new Response("no", { status: 404 });
    supervisor.markReady(m[1]);
    return Response.json({ ok: true });
  });
  const { mode = "ok", plan, ...rest } = opts;
  supervisor = new Supervisor({
    log,
    hiveUrl: () => `http://127.0.0.1:${server.addr.port}`,
    launcher: (spec, id, hiveUrl) => ({
      command: Deno.execPath(),
      args: [
        "run",
        "-A",
        FAKE_WORKER,
        ...["--worker-id", id, "--hive-url", hiveUrl, "--model-name", spec.model, "--mode", mode],
        ...["--counter", `${dir}/launches`, ...(plan ? ["--plan", plan.join(",")] : [])],
      ],
    }),
    preflight: () => Promise.resolve(),
    ...rest,
  });
  let left: number[] = [];
  try {
    await fn({ supervisor, dir, log: log.lines });
  } catch (err) {
    console.error(log.lines.map((l) => JSON.stringify(l)).join("\n"));
    throw err;
  } finally {
    await supervisor.stopAll();
    await server.shutdown();
    left = await waitGone(pidsMentioning(dir), 5000);
    for (const pid of left) Deno.kill(pid, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
  if (left.length) throw new Error(`Processes left running after the test: ${left.join(", ")}`);
}

/** Polls `check` every 25 ms until it returns a value, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => T | null | undefined | false,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** A spawn spec for a fake model. */
export const FAKE_SPEC = {
  model: "hf:fake/model",
  modelDir: "/nonexistent",
  backend: "cpu",
  device: 0,
} as const;
