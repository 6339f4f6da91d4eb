import { assertEquals, assertStringIncludes, assertTrue } from "../shared/testing.ts";
import { createWorld, runRbee, startQueen } from "./support/cluster.ts";

const REF = "hf:karpathy/tinyllamas:stories260K@main";

Deno.test("rbee models pull, list, show and rm through a queen and its hive", async () => {
  const world = await createWorld();
  const queen = await startQueen(world);
  const env = { RBEE_QUEEN_URL: queen.url };
  try {
    const pulled = await runRbee(world, ["models", "pull", "hf:karpathy/tinyllamas:stories260K"], env);
    assertEquals(pulled.code, 0, pulled.stderr);
    assertStringIncludes(pulled.stdout, `Pulled ${REF} on local`);
    // Not a terminal: plain lines, no bar redrawn with carriage returns.
    assertStringIncludes(pulled.stderr, "[local] downloading stories260K.bin");
    assertTrue(!pulled.stderr.includes("\r"));

    // A llama2.c checkpoint has no other precision than fp32: refused before any download.
    const q4 = await runRbee(world, ["models", "pull", REF, "--dtype", "q4"], env);
    assertEquals(q4.code, 1);
    assertStringIncludes(q4.stderr, "INVALID_MODEL_FILE");
    assertStringIncludes(q4.stderr, "fp32 only: dtype 'q4' does not exist for it");

    const list = await runRbee(world, ["models", "list"], env);
    assertEquals(list.code, 0, list.stderr);
    const [header, row] = list.stdout.trim().split("\n");
    assertEquals(header.split(/\s{2,}/), ["REFERENCE", "FORMAT", "DTYPE", "SIZE", "HIVES", "LAST USED"]);
    assertEquals(row.split(/\s{2,}/).filter((c) => c !== "").map((c, i) => i === 3 ? "size" : c), [
      REF,
      "llama2c",
      "fp32",
      "size",
      "local",
      "never",
    ]);

    const show = await runRbee(world, ["models", "show", REF], env);
    assertEquals(show.code, 0, show.stderr);
    assertStringIncludes(show.stdout, "stories260K.bin  1.1 MB  b0a507e7ad0f6266");
    assertTrue(!show.stdout.includes(world.home));

    const rm = await runRbee(world, ["models", "rm", REF], env);
    assertEquals(rm.code, 0, rm.stderr);
    assertStringIncludes(rm.stdout, `Removed ${REF} from local`);
    const gone = await runRbee(world, ["models", "show", REF], env);
    assertEquals(gone.code, 1);
    assertStringIncludes(gone.stderr, "MODEL_NOT_FOUND");
  } finally {
    await queen.stop();
    await world.close();
  }
});

Deno.test("rbee models pull reports INSUFFICIENT_DISK with what is needed and free", async () => {
  const world = await createWorld();
  world.env.RBEE_TEST_FREE_BYTES = "1000";
  const queen = await startQueen(world);
  try {
    const out = await runRbee(world, ["models", "pull", REF], { RBEE_QUEEN_URL: queen.url });
    assertEquals(out.code, 1);
    assertStringIncludes(out.stderr, "INSUFFICIENT_DISK: Not enough disk space to pull");
    assertStringIncludes(out.stderr, "1.0 kB free");
  } finally {
    await queen.stop();
    await world.close();
  }
});

Deno.test("a mistyped reference or precision is refused before any queen is started", async () => {
  const world = await createWorld();
  try {
    const cases: [string[], string][] = [
      [["models", "pull", "tinyllamas"], "INVALID_MODEL_REF: Invalid model reference 'tinyllamas'"],
      [
        ["models", "pull", REF, "--dtype", "q3"],
        `'dtype' Invalid option: expected one of "fp32"|"fp16"|"q8"|"q4"`,
      ],
      [["models", "rm", "hf:org", "--force"], "INVALID_MODEL_REF"],
    ];
    for (const [args, message] of cases) {
      const out = await runRbee(world, args);
      assertEquals(out.code, 2, out.stderr);
      assertStringIncludes(out.stderr, message);
      assertTrue(!out.stderr.includes("starting one"), out.stderr);
    }
    // No queen ran: an ephemeral one would have written its log under RBEE_HOME.
    assertEquals([...Deno.readDirSync(world.home)].map((e) => e.name), []);
  } finally {
    await world.close();
  }
});
