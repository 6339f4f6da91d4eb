import { assertEquals } from "../shared/testing.ts";
import { backendUnavailableReason } from "./backend.ts";

Deno.test("cpu and webgpu are never refused up front", () => {
  const facts = { ortLibraries: [], nvidiaDriver: false };
  assertEquals(backendUnavailableReason("cpu", facts), null);
  assertEquals(backendUnavailableReason("webgpu", facts), null);
});

Deno.test("cuda needs both a driver and the provider library", () => {
  assertEquals(
    backendUnavailableReason("cuda", {
      ortLibraries: ["libonnxruntime_providers_cuda.so"],
      nvidiaDriver: false,
    }),
    "no NVIDIA driver found",
  );
  const noLib = backendUnavailableReason("cuda", {
    ortLibraries: ["libonnxruntime.so.1"],
    nvidiaDriver: true,
  });
  assertEquals(noLib?.startsWith("onnxruntime's CUDA provider library is not installed"), true);
  assertEquals(
    backendUnavailableReason("cuda", {
      ortLibraries: ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"],
      nvidiaDriver: true,
    }),
    null,
  );
});
