/**
 * Validating untrusted input against a zod contract, with errors that name the
 * field and the rule but never echo the submitted value.
 */
import type { z } from "zod";
import { RbeeError } from "./errors.ts";

/** One failed rule: where, and which rule. */
export interface ValidationIssue {
  field: string;
  rule: string;
  message: string;
}

/** Parses `input` with `schema` or throws `VALIDATION_ERROR` listing each failed field and rule. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what = "request body"): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join(".") : "(root)",
    rule: issue.code,
    message: safeMessage(issue),
  }));
  const first = issues[0];
  throw new RbeeError(
    "VALIDATION_ERROR",
    `Invalid ${what}: '${first.field}' ${first.message}`,
    { issues },
  );
}

// zod's messages describe expectations ("Too big: expected number to be <=2"),
// and for enums/literals they list the allowed options, never the received value.
function safeMessage(issue: z.core.$ZodIssue): string {
  // deno-lint-ignore no-control-regex
  const text = issue.message.replace(/[\u0000-\u001f\u007f]/g, " ");
  return text.length > 200 ? text.slice(0, 200) + "…" : text;
}

/** Reads a JSON body, refusing one over `maxBytes` with 413 before reading it whole. */
export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) throw new RbeeError("VALIDATION_ERROR", "Invalid request body: it is empty");
  // With a declared length the server already bounds the body; only chunked bodies are counted here.
  try {
    if (declared !== null) return await req.json();
    return JSON.parse(new TextDecoder().decode(await readBounded(req.body, maxBytes)));
  } catch (err) {
    if (err instanceof RbeeError) throw err;
    throw new RbeeError("VALIDATION_ERROR", "Invalid request body: it is not valid JSON", {
      issues: [{ field: "(root)", rule: "json", message: "is not valid JSON" }],
    });
  }
}

async function readBounded(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function tooLarge(maxBytes: number): RbeeError {
  return new RbeeError("PAYLOAD_TOO_LARGE", `Request body is larger than the limit of ${maxBytes} bytes`, {
    limit: maxBytes,
  });
}
