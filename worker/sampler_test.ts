import { assertEquals, assertTrue } from "../shared/testing.ts";
import { argmax, createRng, sampleToken } from "./sampler.ts";

const logits = Float32Array.from([0.1, 2.0, 1.9, -1, 0.5]);

Deno.test("temperature 0 picks the largest logit", () => {
  assertEquals(sampleToken(logits, { temperature: 0, top_k: 0, top_p: 1 }, createRng(1)), 1);
  assertEquals(argmax([3, 3, 1]), 0);
});

Deno.test("the same seed gives the same choices, another seed differs", () => {
  const draw = (seed: number) => {
    const rng = createRng(seed);
    return Array.from({ length: 50 }, () => sampleToken(logits, { temperature: 1, top_k: 0, top_p: 1 }, rng));
  };
  assertEquals(draw(42), draw(42));
  assertTrue(draw(42).join() !== draw(43).join());
});

Deno.test("top_k 2 only ever yields the two best tokens", () => {
  const rng = createRng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(sampleToken(logits, { temperature: 5, top_k: 2, top_p: 1 }, rng));
  assertEquals([...seen].sort(), [1, 2]);
});

Deno.test("a small top_p keeps only the most likely token", () => {
  const rng = createRng(3);
  for (let i = 0; i < 100; i++) {
    assertEquals(sampleToken(logits, { temperature: 1, top_k: 0, top_p: 0.01 }, rng), 1);
  }
});

Deno.test("sampling follows the distribution", () => {
  const rng = createRng(11);
  const counts = [0, 0];
  const two = [0, Math.log(3)]; // probabilities 1/4 and 3/4
  for (let i = 0; i < 4000; i++) counts[sampleToken(two, { temperature: 1, top_k: 0, top_p: 1 }, rng)]++;
  assertTrue(Math.abs(counts[1] / 4000 - 0.75) < 0.03, `got ${counts}`);
});
