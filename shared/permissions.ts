/**
 * The one place that says what each role may do under Deno's sandbox, and how
 * to launch a role: `deno task`, `deno compile` and every parent that spawns a
 * child role (keeper → queen → hive → worker) build their flags here.
 */

/** The four roles, each its own program. */
export type Role = "keeper" | "queen" | "hive" | "worker";

/** Binary name of each role once compiled. */
export const ROLE_BINARY: Record<Role, string> = {
  keeper: "rbee",
  queen: "queen-rbee",
  hive: "rbee-hive",
  worker: "llm-worker-rbee",
};

/**
 * Paths that narrow a role's file access when the parent knows them at spawn
 * time. Static entry points (`deno task`, `deno compile`) cannot know where
 * `RBEE_HOME` or a model will be, so there file access is not path-scoped.
 */
export interface PermissionScope {
  /** Folders the role may read (a worker: its model folder and the packages it loads). */
  read?: string[];
  /** Folders a worker may write (only its audit folder, when auditing is on). */
  write?: string[];
}

/**
 * Deno permission flags for `role`.
 *
 * - worker: loopback only (serves and calls its hive there), reads its model,
 *   env, ffi for onnxruntime's native addon, sys for CPU/memory facts;
 * - hive: network, its state under RBEE_HOME, runs workers, sys, env;
 * - queen: network, its state, runs its local hive, env;
 * - keeper: network, runs a queen for ephemeral mode, env, its config.
 */
export function roleFlags(role: Role, scope: PermissionScope = {}): string[] {
  const read = scope.read?.length ? `--allow-read=${scope.read.join(",")}` : "--allow-read";
  // Daemons want request.signal to mean "the client went away", not "the response was sent".
  const serve = "--unstable-no-legacy-abort";
  switch (role) {
    case "worker":
      return [
        serve,
        "--allow-net=127.0.0.1",
        read,
        ...(scope.write?.length ? [`--allow-write=${scope.write.join(",")}`] : []),
        "--allow-env",
        "--allow-ffi",
        "--allow-sys",
      ];
    case "hive":
      return [serve, "--allow-net", read, "--allow-write", "--allow-run", "--allow-env", "--allow-sys"];
    case "queen":
      return [serve, "--allow-net", read, "--allow-write", "--allow-run", "--allow-env", "--allow-sys"];
    case "keeper":
      return ["--allow-net", read, "--allow-write", "--allow-run", "--allow-env", "--allow-sys"];
  }
}

/** The repository root (where `deno.json` is), for launching roles from source. */
export function repoRoot(): string {
  return new URL("..", import.meta.url).pathname.replace(/\/$/, "");
}

/** The entry module of a role, relative to the repository root. */
export function roleEntry(role: Role): string {
  return role === "keeper" ? "keeper/main.ts" : `${role}/main.ts`;
}

/** `deno run` arguments for a role, as used by `deno task` (paths relative to the repo root). */
export function denoRunArgs(role: Role, scope: PermissionScope = {}): string[] {
  return ["run", "--no-prompt", ...roleFlags(role, scope), roleEntry(role)];
}

/**
 * Modules a role starts as Web Workers: `deno compile` embeds only what is imported, so
 * these must be included by name (paths relative to the repository root).
 */
export const ROLE_WORKER_MODULES: Record<Role, string[]> = {
  keeper: [],
  queen: [],
  hive: ["hive/models/part_writer_worker.ts"],
  worker: [],
};

/**
 * `deno compile` arguments that build a role's binary with the same flags.
 * npm packages, onnxruntime's native addon included, are embedded by Deno.
 */
export function denoCompileArgs(role: Role, outDir = "dist"): string[] {
  return [
    "compile",
    "--no-prompt",
    ...roleFlags(role),
    ...ROLE_WORKER_MODULES[role].flatMap((module) => ["--include", module]),
    "--output",
    `${outDir}/${ROLE_BINARY[role]}`,
    roleEntry(role),
  ];
}

/** True when this process is a compiled rbee binary rather than `deno run`. */
export function isCompiled(): boolean {
  return !/^(deno|deno\.exe)$/.test(basename(Deno.execPath()));
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * How to launch `role` as a child from the current process: the sibling binary
 * when compiled, else `deno run` of its entry module with its flags.
 */
export function roleCommand(role: Role, scope: PermissionScope = {}): { command: string; args: string[] } {
  const exec = Deno.execPath();
  if (isCompiled()) {
    return { command: exec.slice(0, exec.lastIndexOf("/") + 1) + ROLE_BINARY[role], args: [] };
  }
  const root = repoRoot();
  const args = denoRunArgs(role, scope);
  args[args.length - 1] = `${root}/${roleEntry(role)}`;
  return { command: exec, args: ["run", "--config", `${root}/deno.json`, ...args.slice(1)] };
}
