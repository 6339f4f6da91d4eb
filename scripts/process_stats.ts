/**
 * CPU time and memory of processes, for the benchmarks: this one (rusage), others by
 * pid (/proc, Linux), and shell children (bash's `times`).
 */
import process from "node:process";

/** User + system seconds from a line of bash's `times`, such as `0m0.012s 0m0.290s`. */
export function timesSeconds(line: string): number {
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}

/** User + system seconds this process (all its threads) has spent so far. */
export function cpuSecondsOfSelf(): number {
  const usage = process.resourceUsage();
  return (usage.userCPUTime + usage.systemCPUTime) / 1e6;
}

/** User + system seconds of a process so far, from /proc (in clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  return statSeconds(Deno.readTextFileSync(`/proc/${pid}/stat`));
}

/** User + system seconds each thread of a process has spent so far, by thread id. */
export function threadCpuSecondsOf(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(
        Number(task.name),
        statSeconds(Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`)),
      );
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return threads;
}

/**
 * The most CPU seconds any one thread spent between two {@link threadCpuSecondsOf} snapshots:
 * on a machine with idle cores, that thread bounds the speed.
 */
export function busiestThreadSeconds(before: Map<number, number>, after: Map<number, number>): number {
  let most = 0;
  for (const [tid, seconds] of after) most = Math.max(most, seconds - (before.get(tid) ?? 0));
  return most;
}

/**
 * Samples a process's threads every `everyMs` until stopped, keeping each thread's last
 * figure: a thread that ends before `stop` (a worker that finished) still counts, less its
 * last interval. `start` is the first snapshot, to compare with what `stop` returns.
 */
export function watchThreads(
  pid: number,
  everyMs = 50,
): { start: Map<number, number>; stop(): Map<number, number> } {
  const start = threadCpuSecondsOf(pid);
  const seen = new Map(start);
  const sample = () => {
    for (const [tid, seconds] of threadCpuSecondsOf(pid)) seen.set(tid, seconds);
  };
  const timer = setInterval(sample, everyMs);
  return {
    start,
    stop() {
      clearInterval(timer);
      sample();
      return seen;
    },
  };
}

/** utime + stime of a /proc stat line (fields 14 and 15; the name in parentheses may hold spaces). */
function statSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident memory now and at its peak (VmHWM), from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kB = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kB("VmRSS"), peak: kB("VmHWM") };
}
