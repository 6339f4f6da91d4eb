/**
 * One call from `rbee` to its queen: the queen's URL and the headers that
 * carry the token, JSON in, an error envelope turned into an `RbeeError`.
 */
import { fromEnvelope } from "../shared/errors.ts";

/** Where the queen is and how to authenticate with it. */
export interface QueenSession {
  url: string;
  headers: Record<string, string>;
}

/** Sends `body` (as JSON, when given) and returns the response; a non-2xx answer throws its error. */
export async function queenRequest(
  s: QueenSession,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const res = await fetch(s.url + path, {
    method,
    headers: { ...s.headers, ...(body !== undefined && { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw fromEnvelope(await res.json().catch(() => null), res.status);
  return res;
}
