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
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's resident memory now and at its peak (VmHWM), from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kB = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kB("VmRSS"), peak: kB("VmHWM") };
}
