/**
 * Choosing the next token from logits: greedy at temperature 0, else
 * temperature-scaled sampling restricted by top-k and top-p, driven by a
 * seeded generator so that the same seed gives the same text.
 */

/** Parameters that shape the next-token choice. */
export interface SamplerParams {
  temperature: number;
  top_k: number;
  top_p: number;
}

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** A small, fast, seedable generator (mulberry32 over both halves of the seed). */
export function createRng(seed: number): Rng {
  let state = (seed >>> 0) ^ Math.floor(seed / 2 ** 32) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest logit (the first one on ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Picks the next token id from `logits`. */
export function sampleToken(logits: ArrayLike<number>, params: SamplerParams, rng: Rng): number {
  if (params.temperature === 0) return argmax(logits);
  const candidates = topCandidates(logits, params.top_k);
  const probs = softmax(candidates.map((i) => logits[i] / params.temperature));
  const kept = nucleus(probs, params.top_p);
  let total = 0;
  for (let i = 0; i < kept; i++) total += probs[i];
  let r = rng() * total;
  for (let i = 0; i < kept; i++) {
    r -= probs[i];
    if (r < 0) return candidates[i];
  }
  return candidates[kept - 1];
}

/** Token ids sorted by logit, best first, cut to `k` when k > 0. */
function topCandidates(logits: ArrayLike<number>, k: number): number[] {
  const ids = Array.from({ length: logits.length }, (_, i) => i);
  ids.sort((a, b) => logits[b] - logits[a] || a - b);
  return k > 0 ? ids.slice(0, k) : ids;
}

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** How many of the (descending) probabilities form the smallest set reaching `topP`. */
function nucleus(probs: number[], topP: number): number {
  if (topP >= 1) return probs.length;
  let cumulative = 0;
  for (let i = 0; i < probs.length; i++) {
    cumulative += probs[i];
    if (cumulative >= topP) return i + 1;
  }
  return probs.length;
}
