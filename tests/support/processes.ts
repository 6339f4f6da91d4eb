/**
 * Process-tree facts for tests, read from /proc: which processes descend
 * from a PID, and which are still alive, so a test can assert that nothing
 * it started outlives it.
 */

/** PIDs of processes whose command line mentions `marker` (e.g. a test's temporary RBEE_HOME). */
export function pidsMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      if (cmdline.includes(marker)) pids.push(Number(entry.name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Every descendant of `root` (children, grandchildren, …). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry.name));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Waits until none of `pids` is alive; returns those still alive after `timeoutMs`. */
export async function waitGone(pids: number[], timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Values of secret environment variables (tokens) of the given processes, read from /proc. */
export function secretsOf(pids: number[]): string[] {
  const secrets = new Set<string>();
  for (const pid of pids) {
    try {
      for (const entry of Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0")) {
        const m = entry.match(
          /^(RBEE_TOKEN|RBEE_WORKER_TOKEN|RBEE_HIVE_TOKEN|RBEE_QUEEN_TOKEN|HF_TOKEN)=(.+)$/,
        );
        if (m) secrets.add(m[2]);
      }
    } catch {
      // exited while we looked
    }
  }
  return [...secrets];
}
