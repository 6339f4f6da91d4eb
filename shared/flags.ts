/**
 * Command-line flags → plain values, shared by every role's pure `loadConfig`.
 * Unknown flags are errors, not silently ignored.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { RbeeError } from "./errors.ts";

/** Option definitions as `node:util` parseArgs takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/** Parses `args` strictly, typed by `options`; a bad flag becomes `VALIDATION_ERROR` naming it. */
export function parseFlags<O extends FlagOptions>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    const message = (err as Error).message.split("\n")[0].replace(/\. To specify.*$/, "");
    throw new RbeeError("VALIDATION_ERROR", message.replace(/\.$/, ""));
  }
}

/** First defined value: flag, then environment, then default. */
export function pick<T>(...values: (T | undefined)[]): T | undefined {
  return values.find((v) => v !== undefined && v !== "");
}

/** Prints an error as one line on stderr and exits with `code`. */
export function exitWithError(err: unknown, code = 1): never {
  const rbee = err instanceof RbeeError ? err : null;
  const text = rbee ? `${rbee.code}: ${rbee.message}` : String((err as Error)?.message ?? err);
  console.error(`error: ${text}`);
  Deno.exit(code);
}
