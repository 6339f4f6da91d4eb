/**
 * The security suite with real processes: tokens on every route and method,
 * the public-bind refusal, no token in any log, error or audit line, a
 * verifiable audit chain, deadlines and cancellation.
 */
import { assertEquals, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { roleCommand } from "../shared/permissions.ts";
import { readSse } from "../shared/sse.ts";
import { verifyAuditDir } from "../shared/audit.ts";
import {
  createWorld,
  runRbee,
  startHiveWithToken,
  type TestQueen,
  type TestWorld,
  waitForLog,
  withQueen,
} from "./support/cluster.ts";

const TOKEN = "queen-secret-token-0123456789";
const MODEL = "hf:karpathy/tinyllamas:stories260K";

async function tokenFile(world: TestWorld, token: string): Promise<string> {
  const path = `${world.home}/queen.token`;
  await Deno.writeTextFile(path, token + "\n", { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  return path;
}

/** A queen with a token file and auditing on. */
function withSecureQueen(fn: (queen: TestQueen, world: TestWorld) => Promise<void>) {
  return withQueen(fn, async (world) => {
    world.env.RBEE_AUDIT_DIR = `${world.home}/audit`;
    return ["--token-file", await tokenFile(world, TOKEN)];
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function startRole(role: "queen" | "hive", args: string[], env: Record<string, string>) {
  const { command, args: base } = roleCommand(role);
  return await new Deno.Command(command, { args: [...base, ...args], env, stdin: "null" }).output();
}

Deno.test("a daemon refuses to listen beyond loopback without a token", async () => {
  const world = await createWorld();
  try {
    for (const role of ["queen", "hive"] as const) {
      const out = await startRole(role, ["--host", "0.0.0.0", "--port", "0", "--home", world.home], {
        ...world.env,
        RBEE_TOKEN: "",
      });
      assertEquals(out.code, 2, role);
      assertStringIncludes(
        new TextDecoder().decode(out.stderr),
        `Refusing to start ${role} on '0.0.0.0' without a token`,
      );
      assertEquals(out.stdout.length, 0, `${role} printed a listening line`);
    }
  } finally {
    await world.close();
  }
});

Deno.test("every queen route and method needs the token; GET /health does not", async () => {
  await withSecureQueen(async (queen) => {
    const routes = [
      "/v1/models",
      "/v1/completions",
      "/v1/chat/completions",
      "/v2/inference",
      "/v2/hives",
      "/v2/requests/x",
    ];
    for (const path of routes) {
      for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
        const none = await fetch(queen.url + path, { method });
        assertEquals(
          [none.status, (await none.json()).error.code],
          [401, "MISSING_API_KEY"],
          `${method} ${path}`,
        );
        const wrong = await fetch(queen.url + path, {
          method,
          headers: { authorization: "Bearer not-the-token-00000" },
        });
        assertEquals(
          [wrong.status, (await wrong.json()).error.code],
          [401, "INVALID_API_KEY"],
          `${method} ${path}`,
        );
        const right = await fetch(queen.url + path, { method, headers: auth });
        assertTrue(right.status !== 401, `${method} ${path} refused the right token`);
        await right.body?.cancel();
      }
    }
    assertEquals((await fetch(`${queen.url}/health`)).status, 200);
  });
});

Deno.test("the token never shows in logs, errors or audit records; the audit chain verifies and catches tampering", async () => {
  await withSecureQueen(async (queen, world) => {
    const res = await fetch(`${queen.url}/v2/inference`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: "Once upon a time", temperature: 0, max_tokens: 5 }),
    });
    for await (const _ of readSse(res.body!)) { /* drain */ }
    const bad = await fetch(`${queen.url}/v2/inference`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}x` },
    });
    const badBody = await bad.text();
    const rbee = await runRbee(world, ["infer", "--max-tokens", "3", "x"], {
      RBEE_QUEEN_URL: queen.url,
      RBEE_TOKEN: TOKEN,
    });
    assertEquals(rbee.code, 0, rbee.stderr);

    const auditDir = `${world.home}/audit`;
    const audit = [...Deno.readDirSync(auditDir)].map((e) => Deno.readTextFileSync(`${auditDir}/${e.name}`))
      .join("");
    for (
      const [what, text] of [["log", queen.log.join("\n")], ["error", badBody], ["audit", audit], [
        "cli",
        rbee.stderr,
      ]]
    ) {
      assertEquals(text.includes(TOKEN), false, `the token appears in the ${what}`);
    }
    assertStringIncludes(audit, '"outcome":"failure"');
    for (const event of ["auth", "hive_join", "model_pull", "worker_spawn"]) {
      assertStringIncludes(audit, `"event":"${event}"`);
    }

    const verify = await runRbee(world, ["audit", "verify", auditDir]);
    assertEquals(verify.code, 0, verify.stderr);
    const file = [...Deno.readDirSync(auditDir)].map((e) => `${auditDir}/${e.name}`).find((f) =>
      f.includes("queen-")
    )!;
    const lines = Deno.readTextFileSync(file).split("\n").filter(Boolean);
    Deno.writeTextFileSync(file, [lines[0], ...lines.slice(2)].join("\n") + "\n");
    const tampered = await runRbee(world, ["audit", "verify", auditDir]);
    assertEquals(tampered.code, 1);
    assertStringIncludes(tampered.stderr, "line 2");
    assertEquals(verifyAuditDir(auditDir).broken?.line, 2);
  });
});

Deno.test("deadlines: 504 before the first token, an error event during the stream, and the worker stops", async () => {
  await withSecureQueen(async (queen) => {
    const post = (timeoutMs: number, maxTokens: number) =>
      fetch(`${queen.url}/v2/inference`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", "x-request-timeout-ms": String(timeoutMs) },
        body: JSON.stringify({ model: MODEL, prompt: "Once upon a time", max_tokens: maxTokens, seed: 1 }),
      });
    const early = await post(1, 5);
    assertEquals([early.status, (await early.json()).error.code], [504, "DEADLINE_EXCEEDED"]);

    // Warm the worker, then give a long generation too little time.
    for await (const _ of readSse((await post(60_000, 1)).body!)) { /* drain */ }
    const events = [];
    for await (const ev of readSse((await post(250, 400)).body!)) events.push(ev);
    const last = events.at(-1)!;
    assertEquals(last.event, "error");
    assertEquals(JSON.parse(last.data).code, "DEADLINE_EXCEEDED");
    assertTrue(events.some((e) => e.event === "token"), "no token arrived before the deadline");
    const stopped = await waitForLog(
      queen,
      /"msg":"Inference finished".*"stop_reason":"(cancelled|deadline)"/,
    );
    assertTrue(JSON.parse(stopped).tokens_out < 400, "the worker generated past the deadline");
  });
});

Deno.test("DELETE /v2/requests/{id} cancels a request at every hop", async () => {
  await withSecureQueen(async (queen) => {
    const res = await fetch(`${queen.url}/v2/inference`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: "Once upon a time", max_tokens: 400, seed: 2 }),
    });
    // Read by hand: leaving a for-await loop would cancel the stream itself.
    const events = readSse(res.body!);
    let requestId = "";
    while (true) {
      const { value, done } = await events.next();
      if (done) throw new Error("the stream ended before any token");
      if (value.event === "started") requestId = JSON.parse(value.data).request_id;
      if (value.event === "token") break;
    }
    const del = await fetch(`${queen.url}/v2/requests/${requestId}`, { method: "DELETE", headers: auth });
    assertEquals(del.status, 200);
    const rest = [];
    for (let next = await events.next(); !next.done; next = await events.next()) rest.push(next.value.event);
    assertTrue(rest.length < 400, "the stream ran to the end");
    const line = await waitForLog(queen, /"msg":"Inference finished".*"stop_reason":"cancelled"/);
    assertTrue(JSON.parse(line).tokens_out < 400, "the worker kept generating");
    const again = await fetch(`${queen.url}/v2/requests/${requestId}`, { method: "DELETE", headers: auth });
    assertEquals(again.status, 404);
  });
});

Deno.test("every hive route and method needs the hive's token", async () => {
  const world = await createWorld();
  const hiveToken = "hive-secret-token-0123456789";
  const hive = await startHiveWithToken(world, hiveToken);
  try {
    const routes = ["/v1/workers", "/v1/workers/w-1", "/v1/workers/w-1/inference", "/v1/models/pull"];
    for (const path of routes) {
      for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
        const none = await fetch(hive.url + path, { method });
        assertEquals(
          [none.status, (await none.json()).error.code],
          [401, "MISSING_API_KEY"],
          `${method} ${path}`,
        );
        const wrong = await fetch(hive.url + path, { method, headers: { authorization: `Bearer ${TOKEN}` } });
        assertEquals(
          [wrong.status, (await wrong.json()).error.code],
          [401, "INVALID_API_KEY"],
          `${method} ${path}`,
        );
        const right = await fetch(hive.url + path, {
          method,
          headers: { authorization: `Bearer ${hiveToken}` },
        });
        assertTrue(right.status !== 401, `${method} ${path} refused the right token`);
        await right.body?.cancel();
      }
    }
    assertEquals((await fetch(`${hive.url}/health`)).status, 200);
    assertEquals(hive.stderrTail().join("\n").includes(hiveToken), false, "the hive logged its token");
  } finally {
    await hive.stop();
    await world.close();
  }
});

Deno.test("SIGHUP makes the queen re-read its token file: the old token stops working", async () => {
  await withSecureQueen(async (queen, world) => {
    const path = `${world.home}/queen.token`;
    const next = "rotated-queen-token-987654321";
    await Deno.writeTextFile(path, next + "\n");
    queen.child.process.kill("SIGHUP");
    await waitForLog(queen, /"msg":"Token reloaded"/);
    assertEquals((await fetch(`${queen.url}/v2/hives`, { headers: auth })).status, 401);
    const res = await fetch(`${queen.url}/v2/hives`, { headers: { authorization: `Bearer ${next}` } });
    assertEquals(res.status, 200);
    await res.body?.cancel();
  });
});
