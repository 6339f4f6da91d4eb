/**
 * Builds the four binaries (rbee, queen-rbee, rbee-hive, llm-worker-rbee)
 * into dist/ with the same permission flags as `deno task`.
 *
 * `deno compile` downloads its runtime (denort) on first use; offline, point
 * DENORT_BIN at a local copy.
 */
import { denoCompileArgs, type Role } from "../shared/permissions.ts";

const roles: Role[] = ["keeper", "queen", "hive", "worker"];
for (const role of roles) {
  const args = denoCompileArgs(role);
  console.error(`deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), { args, stdout: "inherit", stderr: "inherit" })
    .output();
  if (code !== 0) {
    console.error(`error: compiling ${role} failed (exit code ${code})`);
    if (!Deno.env.get("DENORT_BIN")) {
      console.error(
        "hint: deno compile downloads its runtime (denort) once; offline, set DENORT_BIN to a local copy",
      );
    }
    Deno.exit(code);
  }
}
console.error("Binaries are in dist/");
