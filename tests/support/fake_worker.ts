/**
 * A stand-in worker process for fault-injection tests: it speaks the worker's
 * process protocol (listening line, ready call to the hive, /health, a token
 * stream on /v1/inference, /v1/shutdown) and misbehaves on request.
 *
 * Modes (`--mode`, or per launch from `--plan a,b,c` with a counter file
 * `--counter PATH`: launch n uses the n-th entry, the last one repeating):
 *   ok                  behaves
 *   ignore-term         behaves, but ignores SIGTERM and refuses /v1/shutdown
 *   hang-loading        listens but never reports ready
 *   crash-at-start      writes to stderr and exits 1 before listening
 *   crash-after-ready:MS  reports ready, then exits 1 after MS milliseconds
 *   deaf-after:MS       reports ready, then stops answering /health after MS milliseconds (hung)
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "worker-id": { type: "string", default: "w-fake" },
    "hive-url": { type: "string" },
    "model-name": { type: "string", default: "fake" },
    mode: { type: "string", default: "ok" },
    plan: { type: "string" },
    counter: { type: "string" },
  },
  strict: false,
});

function pickMode(): string {
  if (!values.plan || !values.counter) return String(values.mode);
  const path = String(values.counter);
  let n = 0;
  try {
    n = Number(Deno.readTextFileSync(path)) || 0;
  } catch {
    // first launch
  }
  Deno.writeTextFileSync(path, String(n + 1));
  const plan = String(values.plan).split(",");
  return plan[Math.min(n, plan.length - 1)];
}

const mode = pickMode();
const [kind, arg] = mode.split(":");
console.error(JSON.stringify({ msg: "fake worker starting", mode, pid: Deno.pid }));
if (kind === "crash-at-start") {
  console.error("fake worker: cannot start (injected crash)");
  Deno.exit(1);
}
if (kind === "ignore-term") Deno.addSignalListener("SIGTERM", () => console.error("ignoring SIGTERM"));
else Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

let active = 0;
const started = performance.now();
const encoder = new TextEncoder();
function tokenStream(count: number, delayMs: number): ReadableStream<Uint8Array> {
  let i = 0;
  active++;
  return new ReadableStream({
    async pull(c) {
      if (i === 0) {
        c.enqueue(
          encoder.encode(`event: started\ndata: {"request_id":"r","model":"fake","tokens_in":1}\n\n`),
        );
      }
      if (i >= count) {
        c.enqueue(
          encoder.encode(
            `event: end\ndata: {"tokens_in":1,"tokens_out":${count},"stop_reason":"length"}\n\n`,
          ),
        );
        c.enqueue(encoder.encode("data: [DONE]\n\n"));
        active--;
        c.close();
        return;
      }
      await new Promise((r) => setTimeout(r, delayMs));
      c.enqueue(encoder.encode(`event: token\ndata: {"index":${i},"text":" t${i}"}\n\n`));
      i++;
    },
    cancel() {
      active--;
    },
  });
}

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/health") {
    // A hung worker: the connection stays open and no answer ever comes.
    if (kind === "deaf-after" && performance.now() - started > Number(arg ?? 0)) return new Promise(() => {});
    return Response.json({ status: "ok", state: active ? "busy" : "idle", model: values["model-name"] });
  }
  if (path === "/v1/shutdown") {
    if (kind === "ignore-term") return new Response("no", { status: 404 });
    setTimeout(() => Deno.exit(0), 10);
    return Response.json({ ok: true });
  }
  if (path === "/v1/inference") {
    const body = await req.json().catch(() => ({}));
    return new Response(tokenStream(body.max_tokens ?? 5, body.delay_ms ?? 20), {
      headers: { "content-type": "text/event-stream" },
    });
  }
  return new Response("not found", { status: 404 });
});
const url = `http://127.0.0.1:${server.addr.port}`;
console.log(JSON.stringify({ event: "listening", url }));

if (kind !== "hang-loading" && values["hive-url"]) {
  const res = await fetch(`${values["hive-url"]}/v1/workers/${values["worker-id"]}/ready`, {
    method: "POST",
    // Like the real worker, present the token the hive gave this process.
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${Deno.env.get("RBEE_WORKER_TOKEN")}`,
    },
    body: JSON.stringify({ worker_id: values["worker-id"], url }),
  });
  await res.body?.cancel();
}
if (kind === "crash-after-ready") {
  setTimeout(() => {
    console.error("fake worker: injected crash after ready");
    Deno.exit(1);
  }, Number(arg ?? 0));
}
