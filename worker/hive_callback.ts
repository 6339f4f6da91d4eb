/**
 * The worker's one call to its hive: "my model is loaded, I serve at URL",
 * authenticated with the token the hive gave this worker.
 */
import { authHeaders } from "../shared/auth.ts";
import { RbeeError } from "../shared/errors.ts";

/** Tells the hive this worker is ready; throws HIVE_UNAVAILABLE when the hive cannot be told. */
export async function reportReady(hiveUrl: string, workerId: string, url: string, token: string | null) {
  let res: Response;
  try {
    res = await fetch(`${hiveUrl}/v1/workers/${workerId}/ready`, {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders(token) },
      body: JSON.stringify({ worker_id: workerId, url }),
    });
  } catch (err) {
    throw new RbeeError("HIVE_UNAVAILABLE", `Cannot reach the hive: ${(err as Error).message}`);
  }
  await res.body?.cancel();
  if (!res.ok) {
    throw new RbeeError("HIVE_UNAVAILABLE", `The hive refused the ready call (HTTP ${res.status})`);
  }
}
