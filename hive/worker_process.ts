/**
 * One worker process as the supervisor handles it, whether the hive spawned it
 * (a child) or found it left by a previous run (adopted, known by PID only),
 * and stopping it step by step: ask over HTTP, SIGTERM, then SIGKILL.
 */
import { authHeaders } from "../shared/auth.ts";
import type { DaemonChild } from "../shared/child.ts";
import type { Logger } from "../shared/log.ts";

/** How a process ended. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

/** A process the hive can watch and signal. */
export interface ProcessHandle {
  pid: number;
  /** Resolves once the process is gone. */
  exited: Promise<ExitStatus>;
  kill(signal: Deno.Signal): void;
  /** The last lines of its stderr (empty for an adopted process). */
  stderrTail(): string[];
}

/** A handle on a child the hive spawned. */
export function childHandle(child: DaemonChild): ProcessHandle {
  return {
    pid: child.pid,
    exited: child.exited.then((s) => ({ code: s.signal ? null : s.code, signal: s.signal ?? null })),
    kill: (signal) => {
      try {
        child.process.kill(signal);
      } catch {
        // already gone
      }
    },
    stderrTail: () => child.stderrTail(),
  };
}

/** What `ps` says about a process: alive (not a zombie) and its command line; null when it is gone. */
export async function inspectPid(pid: number): Promise<{ cmdline: string } | null> {
  // Deno's sandbox forbids /proc without --allow-all; the hive may run `ps`.
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "stat=,args=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    const line = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || !line || line.startsWith("Z")) return null;
    return { cmdline: line.slice(line.search(/\s/) + 1).trim() };
  } catch {
    return null;
  }
}

/** A handle on a process that is not our child: exit is noticed by polling its PID. */
export function adoptedHandle(pid: number, pollMs = 500): ProcessHandle {
  const exited = new Promise<ExitStatus>((resolve) => {
    const poll = async () => {
      if (await inspectPid(pid)) return void setTimeout(poll, pollMs);
      resolve({ code: null, signal: null });
    };
    void poll();
  });
  return {
    pid,
    exited,
    kill: (signal) => {
      try {
        Deno.kill(pid, signal);
      } catch {
        // already gone
      }
    },
    stderrTail: () => [],
  };
}

/** Stop timings. */
export interface StopTimings {
  /** After asking the worker to shut down: time to finish or cancel in-flight requests. */
  graceMs: number;
  /** After SIGTERM, before SIGKILL. */
  killAfterMs: number;
}

/** How a stop went. */
export interface StopOutcome {
  exit: ExitStatus;
  /** True when SIGKILL was needed. */
  forced: boolean;
}

function exitedWithin(p: ProcessHandle, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  return Promise.race([p.exited.then(() => true), late]).finally(() => clearTimeout(timer));
}

/** Where a worker serves, and the token it expects. */
export interface WorkerEndpoint {
  url: string;
  token: string;
}

async function askShutdown(endpoint: WorkerEndpoint | null): Promise<boolean> {
  if (!endpoint) return false;
  try {
    const res = await fetch(`${endpoint.url}/v1/shutdown`, {
      method: "POST",
      headers: authHeaders(endpoint.token),
      signal: AbortSignal.timeout(1000),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Ask → SIGTERM → SIGKILL, each step logged; resolves once the process is gone. */
export async function stopProcessSteps(
  p: ProcessHandle,
  endpoint: WorkerEndpoint | null,
  t: StopTimings,
  log: Logger,
): Promise<StopOutcome> {
  if (await askShutdown(endpoint)) {
    log.info("Asked worker to shut down", { pid: p.pid, grace_ms: t.graceMs });
    if (await exitedWithin(p, t.graceMs)) return { exit: await p.exited, forced: false };
  }
  log.info("Sending SIGTERM to worker", { pid: p.pid });
  p.kill("SIGTERM");
  if (await exitedWithin(p, t.killAfterMs)) return { exit: await p.exited, forced: false };
  log.warn("Worker ignored SIGTERM; force-killing it", { pid: p.pid, waited_ms: t.killAfterMs });
  p.kill("SIGKILL");
  return { exit: await p.exited, forced: true };
}

/** True when `p` settles within `ms`, false when the time runs out first. */
export function raceTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  return Promise.race([p.then(() => true), late]).finally(() => clearTimeout(timer));
}
