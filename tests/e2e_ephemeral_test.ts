/**
 * `rbee infer` as a newcomer runs it: no queen running, so rbee starts one
 * with a local hive, streams the story, and leaves no process behind.
 */
import { assertEquals, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { closedPortUrl } from "./support/fake_hub.ts";
import { createWorld, REFERENCE_STORY, runRbee } from "./support/cluster.ts";
import { pidsMentioning } from "./support/processes.ts";
import { backendUnavailableReason, probeMachine } from "../worker/backend.ts";
import { ortLibraryDir } from "../worker/model.ts";

Deno.test("rbee infer in ephemeral mode prints llama2.c's greedy story and leaves nothing running", async () => {
  const world = await createWorld();
  try {
    const env = { RBEE_QUEEN_URL: closedPortUrl() };
    const first = await runRbee(world, [
      "infer",
      "--temperature",
      "0",
      "--max-tokens",
      "30",
      "Once upon a time",
    ], env);
    assertEquals(first.code, 0, first.stderr);
    assertTrue(first.stdout.startsWith(REFERENCE_STORY), `stdout was ${JSON.stringify(first.stdout)}`);
    assertStringIncludes(first.stderr, "No queen is running");
    assertStringIncludes(first.stderr, "model: downloading stories260K.bin");
    assertTrue(
      /30 tokens, time to first token \d+ ms, [\d.]+ tokens\/s \(max_tokens\)/.test(first.stderr),
      first.stderr,
    );
    assertEquals(pidsMentioning(world.home), [], "queen, hive or worker still running after rbee exited");

    // A second use finds the model on disk: the hub is asked for the revision only.
    const downloadsBefore = world.hub?.requests.filter((p) => p.includes("/resolve/")).length;
    const second = await runRbee(world, [
      "infer",
      "--temperature",
      "0",
      "--max-tokens",
      "8",
      "Once upon a time",
    ], env);
    assertEquals(second.code, 0, second.stderr);
    assertEquals(second.stdout, ", there was a little girl\n");
    assertEquals(world.hub?.requests.filter((p) => p.includes("/resolve/")).length, downloadsBefore);
  } finally {
    await world.close();
  }
});

Deno.test("rbee infer reports a bad model reference and an unusable backend clearly", async () => {
  const world = await createWorld();
  try {
    const env = { RBEE_QUEEN_URL: closedPortUrl() };
    const bad = await runRbee(world, ["infer", "--model", "hf:../../etc", "hi"], env);
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.stderr, "INVALID_MODEL_REF");

    const missing = await runRbee(world, ["infer", "--model", "hf:karpathy/no-such-repo", "hi"], env);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, "MODEL_NOT_FOUND");

    // Never a silent fallback to CPU: where CUDA cannot run, the reason is given.
    const cudaProblem = backendUnavailableReason("cuda", probeMachine(ortLibraryDir()));
    const cuda = await runRbee(world, ["infer", "--backend", "cuda", "--max-tokens", "3", "hi"], env);
    if (cudaProblem) {
      assertEquals(cuda.code, 1);
      assertStringIncludes(cuda.stderr, `BACKEND_UNAVAILABLE: Cannot use backend 'cuda': ${cudaProblem}`);
    } else {
      assertEquals(cuda.code, 0, cuda.stderr);
    }
    assertEquals(pidsMentioning(world.home), []);
  } finally {
    await world.close();
  }
});
