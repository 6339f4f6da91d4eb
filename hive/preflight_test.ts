import { assertEquals, assertThrows } from "../shared/testing.ts";
import { type DeviceInventory, parseNvidiaSmi } from "./devices.ts";
import { checkFits, kvCacheBytes, WORKER_OVERHEAD_BYTES } from "./preflight.ts";

const MIB = 1024 * 1024;
const inv: DeviceInventory = {
  cpu: { cores: 8, memory_total_bytes: 16_000 * MIB, memory_free_bytes: 1000 * MIB },
  gpus: parseNvidiaSmi("0, NVIDIA H100 80GB HBM3, 81559, 80000\n1, NVIDIA H100 80GB HBM3, 81559, 512\n"),
};

Deno.test("nvidia-smi's CSV becomes GPUs with bytes; anything else is an error", () => {
  assertEquals(inv.gpus[1], {
    index: 1,
    name: "NVIDIA H100 80GB HBM3",
    memory_total_bytes: 81559 * MIB,
    memory_free_bytes: 512 * MIB,
  });
  assertEquals(parseNvidiaSmi("\n"), []);
  assertThrows(() => parseNvidiaSmi("No devices were found"), Error);
});

Deno.test("the KV cache is sized from the model's shape, grouped-query attention included", () => {
  const shape = {
    num_hidden_layers: 2,
    hidden_size: 64,
    max_position_embeddings: 512,
    num_attention_heads: 8,
  };
  assertEquals(kvCacheBytes(shape), 2 * 2 * 512 * 64 * 4);
  assertEquals(kvCacheBytes({ ...shape, num_key_value_heads: 4 }), 2 * 2 * 512 * 32 * 4);
  assertEquals(kvCacheBytes({}), 0);
});

Deno.test("a CPU spawn that does not fit in free RAM is refused with the figures", () => {
  assertEquals(checkFits("cpu", 0, { weights: 100 * MIB, kvCache: 0 }, inv), null);
  const err = checkFits("cpu", 0, { weights: 700 * MIB, kvCache: 100 * MIB }, inv)!;
  assertEquals([err.code, err.details], ["INSUFFICIENT_RAM", {
    required: 800 * MIB + WORKER_OVERHEAD_BYTES,
    available: 1000 * MIB,
  }]);
});

Deno.test("CUDA spawns: no GPU, a device out of range and too little free VRAM are refused", () => {
  const need = { weights: 600 * MIB, kvCache: 0 };
  assertEquals(checkFits("cuda", 0, need, inv), null);
  assertEquals(
    checkFits("cuda", 0, need, { ...inv, gpus: [], gpu_note: "no driver" })?.code,
    "BACKEND_UNAVAILABLE",
  );
  const bad = checkFits("cuda", 2, need, inv)!;
  assertEquals([bad.code, bad.details], ["INVALID_DEVICE", { device: 2, devices: 2 }]);
  const full = checkFits("cuda", 1, need, inv)!;
  assertEquals([full.code, full.details], ["VRAM_EXHAUSTED", {
    required: 600 * MIB,
    available: 512 * MIB,
    device: 1,
  }]);
});
