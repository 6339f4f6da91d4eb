/**
 * Hostile and random input against the validators: they must either accept
 * a value or refuse it with VALIDATION_ERROR / INVALID_MODEL_REF, never
 * crash, and never echo the submitted value in the error.
 */
import fc from "fast-check";
import { assertTrue } from "./testing.ts";
import { RbeeError } from "./errors.ts";
import { parseModelRef } from "./model_ref.ts";
import { validate } from "./validation.ts";
import { InferenceRequest } from "./contracts/inference.ts";
import { SpawnWorkerRequest, WorkerId } from "./contracts/worker.ts";
import { validateToken } from "./token.ts";

// Control characters, ANSI escapes, bidi overrides, NUL, path and shell syntax.
const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom(
    "\u0000",
    "\u001b[31mred\u001b[0m",
    "\u202eevil\u202c",
    "../../etc/passwd",
    "$(rm -rf /)",
    "`id`",
    "a;b|c&d",
    "hf:org/repo:../../x",
    "file:/tmp/\u0000x",
    "😀".repeat(300),
  ),
  fc.string({ maxLength: 2000 }).map((s) => `hf:${s}`),
  fc.string({ maxLength: 2000 }).map((s) => `file:${s}`),
);

const hostileValue = fc.oneof(
  hostileString,
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, NaN, 1e308, -0, 2 ** 53 + 1),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 5 }),
);

function refusesCleanly(fn: () => unknown, input: unknown, codes: string[]): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (!(err instanceof RbeeError) || !codes.includes(err.code)) throw err;
    const text = JSON.stringify(err.toEnvelope());
    if (typeof input === "string" && input.length >= 12 && text.includes(input)) {
      throw new Error(`error echoes the input: ${text}`);
    }
    return true;
  }
}

Deno.test("model references: hostile strings are accepted safely or refused with INVALID_MODEL_REF", () => {
  fc.assert(
    fc.property(hostileString, (ref) => {
      try {
        const parsed = parseModelRef(ref);
        // Whatever is accepted has no control characters, shell syntax or '..' parts.
        const parts = parsed.kind === "file"
          ? [parsed.path]
          : [parsed.org, parsed.repo, parsed.subfolder, parsed.revision];
        for (const part of parts) {
          // deno-lint-ignore no-control-regex
          assertTrue(!/[\u0000-\u001f;&|`$]/.test(part), part);
          assertTrue(!part.split("/").includes(".."), part);
        }
        return true;
      } catch (err) {
        return err instanceof RbeeError && err.code === "INVALID_MODEL_REF";
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("inference requests: any field of any type is validated, never crashes", () => {
  const field = fc.constantFrom(
    "prompt",
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "stop",
    "messages",
  );
  fc.assert(
    fc.property(fc.dictionary(field, hostileValue), (body) => {
      return refusesCleanly(() => validate(InferenceRequest, body), body, ["VALIDATION_ERROR"]);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("spawn requests and ids: backends, devices and ids are bounded", () => {
  fc.assert(
    fc.property(hostileValue, hostileValue, hostileValue, (model, backend, device) => {
      return refusesCleanly(() => validate(SpawnWorkerRequest, { model, backend, device }), backend, [
        "VALIDATION_ERROR",
      ]);
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(
      hostileString,
      (id) => refusesCleanly(() => validate(WorkerId, id), id, ["VALIDATION_ERROR"]),
    ),
  );
});

Deno.test("tokens: hostile token text is refused without being echoed", () => {
  fc.assert(
    fc.property(hostileString, (raw) =>
      refusesCleanly(
        () => validateToken(raw, "test"),
        raw,
        ["VALIDATION_ERROR"],
      )),
  );
});
