import { assertEquals } from "../shared/testing.ts";
import { assertBackendAvailable, backendUnavailableReason, describeProviderFailure } from "./backend.ts";
import { RbeeError } from "../shared/errors.ts";
import { assertThrows } from "../shared/testing.ts";

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

Deno.test("a provider failure becomes one readable line", () => {
  const webgpu =
    "/src/onnxruntime/core/providers/webgpu/webgpu_context.cc:123 onnxruntime::webgpu::WebGpuContext::" +
    "Initialize() adapter_result.status == wgpu::RequestAdapterStatus::Success was false. " +
    "Failed to get a WebGPU adapter: No supported adapters\nstack";
  assertEquals(
    describeProviderFailure(webgpu),
    "no WebGPU adapter found (Failed to get a WebGPU adapter: No supported adapters)",
  );
  assertEquals(describeProviderFailure("Could not load /usr/lib/libcudnn.so.9 here"), "Could not load here");
});

Deno.test("cpu and webgpu only have device 0", () => {
  const err = assertThrows(() => assertBackendAvailable("cpu", 1, null), RbeeError);
  assertEquals(err.code, "INVALID_DEVICE");
});
