/**
 * Command-line flags → plain values, shared by every role's pure `loadConfig`.
 * Unknown flags are errors, not silently ignored.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { RbeeError } from "./errors.ts";

/** Option definitions as `node:util` parseArgs takes them. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/** Parsed flags and positional arguments. */
export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `args` strictly; a bad flag becomes `VALIDATION_ERROR` naming it. */
export function parseFlags(args: string[], options: FlagOptions, allowPositionals = false): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: values as ParsedFlags["values"], positionals };
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
