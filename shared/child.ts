/**
 * Starting a child daemon and knowing when it is up: spawn it, wait for its
 * `{"event":"listening"}` line on stdout (with a timeout), fail fast if it
 * exits first, keep the tail of its stderr for error messages, and stop it
 * with SIGTERM then SIGKILL.
 */

/** Options for {@link startDaemonChild}. */
export interface StartChildOptions {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** How long to wait for the listening line. */
  readyTimeoutMs?: number;
  /** Copy the child's stderr lines to ours (prefixed), besides keeping a tail. */
  forwardStderr?: boolean;
  /** A name used in error messages. */
  name: string;
  /** Called with each stderr line (the child's log). */
  onStderrLine?: (line: string) => void;
  /** Called with each stdout line (the listening line included). */
  onStdoutLine?: (line: string) => void;
}

/** A running child daemon. */
export interface DaemonChild {
  url: string;
  pid: number;
  process: Deno.ChildProcess;
  /** Resolves with the exit status when the child ends. */
  exited: Promise<Deno.CommandStatus>;
  /** The last lines the child wrote to stderr. */
  stderrTail(): string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

const TAIL_LINES = 40;

/** Spawns a daemon and resolves once it prints its listening line. */
export async function startDaemonChild(opts: StartChildOptions): Promise<DaemonChild> {
  const process = new Deno.Command(opts.command, {
    args: opts.args,
    env: opts.env,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  const stderrDone = pumpLines(process.stderr, (line) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    if (opts.forwardStderr) writeStderr(line);
    opts.onStderrLine?.(line);
  });
  const listening = Promise.withResolvers<string>();
  // Keep draining stdout after the listening line so the child never blocks on a full pipe.
  const stdoutDone = pumpLines(process.stdout, (line) => {
    opts.onStdoutLine?.(line);
    const url = parseListening(line);
    if (url) listening.resolve(url);
  });
  const exited = process.status.then(async (status) => {
    await Promise.allSettled([stdoutDone, stderrDone]);
    return status;
  });
  const child: DaemonChild = {
    url: "",
    pid: process.pid,
    process,
    exited,
    stderrTail: () => [...tail],
    stop: (graceMs = 5000) => stopProcess(process, exited, graceMs),
  };
  try {
    child.url = await waitForListening(
      listening.promise,
      exited,
      opts.readyTimeoutMs ?? 30_000,
      opts.name,
      tail,
    );
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
  return child;
}

async function waitForListening(
  found: Promise<string>,
  exited: Promise<Deno.CommandStatus>,
  timeoutMs: number,
  name: string,
  tail: string[],
): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
  });
  const died = exited.then((status) => {
    const last = tail.slice(-5).join("\n");
    throw new Error(`${name} exited with code ${status.code} before listening${last ? `:\n${last}` : ""}`);
  });
  try {
    return await Promise.race([found, timeout, died]);
  } finally {
    clearTimeout(timer);
  }
}

/** Extracts the URL from a `{"event":"listening","url":…}` line, else null. */
export function parseListening(line: string): string | null {
  if (!line.startsWith("{")) return null;
  try {
    const msg = JSON.parse(line);
    return msg?.event === "listening" && typeof msg.url === "string" ? msg.url : null;
  } catch {
    return null;
  }
}

/** Calls `onLine` for each line of a byte stream until it ends. */
export async function pumpLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer) onLine(buffer);
}

/** SIGTERM, then SIGKILL if still alive after `graceMs`. */
export async function stopProcess(
  process: Deno.ChildProcess,
  exited: Promise<Deno.CommandStatus>,
  graceMs: number,
): Promise<Deno.CommandStatus> {
  trySignal(process, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), graceMs)));
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first !== "timeout") return first;
  trySignal(process, "SIGKILL");
  return await exited;
}

function trySignal(process: Deno.ChildProcess, signal: Deno.Signal) {
  try {
    process.kill(signal);
  } catch {
    // already gone
  }
}

const encoder = new TextEncoder();
function writeStderr(line: string) {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // our stderr is gone; nothing to do
  }
}
