/**
 * `deno task bench:auth`: the per-request cost of authentication and input
 * validation on the queen's app, measured in-process (no network noise):
 * requests/s and p50/p99 latency with and without a token, for a cheap route
 * (`GET /v2/hives`) and for a full inference body validated to its last field.
 */
import { createQueenApp } from "../queen/app.ts";
import { Router } from "../queen/router.ts";
import { createLogger } from "../shared/log.ts";
import { generateToken } from "../shared/token.ts";
import { checkAuthorization } from "../shared/auth.ts";
import { readJsonBody, validate } from "../shared/validation.ts";
import { NativeInferenceRequest } from "../queen/inference_routes.ts";

const N = Number(Deno.args[0] ?? 20000);
const log = createLogger("bench", "error");
const TOKEN = generateToken();

function app(token: string | null) {
  return createQueenApp({
    router: new Router(() => [], log),
    hives: () => [],
    defaultBackend: "cpu",
    log,
    tokens: { current: () => token },
    deadlines: {},
  });
}

// Valid up to its last field, so every field is checked before the 400.
const BODY = JSON.stringify({
  model: "hf:karpathy/tinyllamas:stories260K",
  prompt: "Once upon a time ".repeat(20),
  max_tokens: 64,
  temperature: 0.7,
  top_p: 0.9,
  top_k: 40,
  stop: ["\n\n", "The end"],
  seed: -1,
});

async function measure(name: string, fetchFn: () => Response | Promise<Response>, expect: number) {
  for (let i = 0; i < 500; i++) await (await fetchFn()).body?.cancel(); // warm-up
  const times = new Float64Array(N);
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const res = await fetchFn();
    await res.body?.cancel();
    if (res.status !== expect) throw new Error(`${name}: HTTP ${res.status}, expected ${expect}`);
    times[i] = performance.now() - t;
  }
  const total = performance.now() - start;
  times.sort();
  const us = (ms: number) => (ms * 1000).toFixed(1).padStart(7);
  console.log(
    `${name.padEnd(44)} ${(N / (total / 1000)).toFixed(0).padStart(7)} req/s   p50 ${
      us(times[Math.floor(N * 0.5)])
    } µs   p99 ${us(times[Math.floor(N * 0.99)])} µs`,
  );
  return times[Math.floor(N * 0.5)];
}

const open = app(null), secured = app(TOKEN);
const auth = { authorization: `Bearer ${TOKEN}` };
const post = (a: ReturnType<typeof app>, headers: Record<string, string>) => () =>
  a.request("/v2/inference", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: BODY,
  });

console.log(`${N} requests each, in-process (app.request), one at a time`);
const base = await measure("GET /v2/hives, no token configured", () => open.request("/v2/hives"), 200);
const authed = await measure(
  "GET /v2/hives, bearer token checked",
  () => secured.request("/v2/hives", { headers: auth }),
  200,
);
await measure("GET /v2/hives, missing token (401)", () => secured.request("/v2/hives"), 401);
const valOpen = await measure("POST /v2/inference, validation only (400)", post(open, {}), 400);
const valAuth = await measure("POST /v2/inference, token + validation (400)", post(secured, auth), 400);
// A valid body passes validation and stops at routing (no hive): the cost a real request pays up front.
const validBody = BODY.replace('"seed":-1', '"seed":1');
const postValid = (a: ReturnType<typeof app>, headers: Record<string, string>) => () =>
  a.request("/v2/inference", {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": String(validBody.length), ...headers },
    body: validBody,
  });
const validAuth = await measure("POST /v2/inference, valid body, token (503)", postValid(secured, auth), 503);
const us = (ms: number) => (ms * 1000).toFixed(1);
console.log(`authentication: ${us(authed - base)} µs per request (p50, token checked vs none)`);
console.log(
  `authentication + validation of a valid inference body: ${us(validAuth - base)} µs per request (p50)`,
);
console.log(
  `authentication + validation of a full inference body: ${us(valAuth - base)} µs per request ` +
    `(p50 over the cheapest route: body read, JSON parse, zod, error envelope; auth part ${
      us(valAuth - valOpen)
    } µs)`,
);

// The cost itself, without the framework around it: build the request (not counted), then check
// the token, read and parse the body, and validate it against the contract.
const mk = () =>
  new Request("http://queen/v2/inference", {
    method: "POST",
    body: validBody,
    headers: { "content-length": String(validBody.length), ...auth },
  });
let t = performance.now();
for (let i = 0; i < N; i++) mk();
const buildMs = (performance.now() - t) / N;
t = performance.now();
for (let i = 0; i < N; i++) {
  const req = mk();
  if (!checkAuthorization(req.headers.get("authorization") ?? undefined, TOKEN).ok) {
    throw new Error("auth failed");
  }
  validate(NativeInferenceRequest, await readJsonBody(req, 1024 * 1024));
}
const costMs = (performance.now() - t) / N - buildMs;
console.log(
  `token check + body read + JSON parse + validation of a valid inference body: ${
    us(costMs)
  } µs per request ` +
    `(mean over ${N}, request construction excluded; target < 50 µs)`,
);
