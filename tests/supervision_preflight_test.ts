/**
 * Preflight with a real hive and a fake `nvidia-smi` on PATH reporting two
 * GPUs: the device inventory shows them, and spawns that cannot fit are
 * refused with the figures before any worker process starts. A missing
 * model folder is refused the same way.
 */
import { assertEquals, assertRejects, assertStringIncludes } from "../shared/testing.ts";
import { RbeeError } from "../shared/errors.ts";
import { startDaemonChild } from "../shared/child.ts";
import { roleCommand } from "../shared/permissions.ts";
import { createWorld } from "./support/cluster.ts";
import { descendants } from "./support/processes.ts";
import { FAKE_SPEC, withFakeWorkers } from "./support/supervised.ts";

const MODEL = "hf:karpathy/tinyllamas:stories260K";
const FAKE_SMI = `#!/bin/sh
printf '0, NVIDIA H100 80GB HBM3, 81559, 80000\\n1, NVIDIA H100 80GB HBM3, 81559, 0\\n'
`;

Deno.test("the hive reports a fake nvidia-smi's GPUs and refuses spawns that cannot fit", async () => {
  const world = await createWorld();
  const bin = `${world.home}/bin`;
  await Deno.mkdir(bin);
  await Deno.writeTextFile(`${bin}/nvidia-smi`, FAKE_SMI, { mode: 0o755 });
  const { command, args } = roleCommand("hive");
  const hive = await startDaemonChild({
    command,
    args: [...args, "--port", "0", "--home", world.home],
    env: { ...world.env, PATH: `${bin}:${Deno.env.get("PATH")}` },
    name: "Hive",
    readyTimeoutMs: 60_000,
  });
  try {
    const devices = await (await fetch(`${hive.url}/v1/devices`)).json();
    assertEquals(
      devices.gpus.map((g: { index: number; memory_free_bytes: number }) => [g.index, g.memory_free_bytes]),
      [
        [0, 80000 * 1024 * 1024],
        [1, 0],
      ],
    );
    assertEquals(devices.cpu.cores > 0 && devices.cpu.memory_free_bytes > 0, true);

    const spawn = (body: Record<string, unknown>) =>
      fetch(`${hive.url}/v1/workers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, ...body }),
      });
    const outOfRange = await spawn({ backend: "cuda", device: 5 });
    assertEquals(outOfRange.status, 400);
    assertEquals((await outOfRange.json()).error.details, { device: 5, devices: 2 });
    const full = await spawn({ backend: "cuda", device: 1 });
    const body = await full.json();
    assertEquals([full.status, body.error.code, body.error.details.available], [507, "VRAM_EXHAUSTED", 0]);
    assertEquals(body.error.details.required > 0, true);
    assertStringIncludes(body.error.message, "device 1 has 0 MiB free");
    assertEquals(descendants(hive.pid), [], "a worker was started anyway");
  } finally {
    await hive.stop(10_000);
    await world.close();
  }
});

Deno.test("a spawn whose model folder is missing is refused before anything starts", async () => {
  await withFakeWorkers({ preflight: undefined }, async ({ supervisor }) => {
    const err = await assertRejects(
      () => supervisor.spawn({ ...FAKE_SPEC, modelDir: "/nonexistent/model" }),
      RbeeError,
    );
    assertEquals(err.code, "MODEL_NOT_FOUND");
    assertEquals(supervisor.list(), []);
  });
});
