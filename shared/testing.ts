/**
 * Assertions for tests, on top of `node:assert` (JSR's `@std/assert` is not
 * reachable where rbee is built).
 */
import assert from "node:assert/strict";

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (msg === undefined) assert.deepStrictEqual(actual, expected);
  else assert.deepStrictEqual(actual, expected, msg);
}

/** Asserts that `value` is truthy. */
export function assertTrue(value: unknown, msg?: string): asserts value {
  if (msg === undefined) assert.ok(value);
  else assert.ok(value, msg);
}

/** Asserts that `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, msg?: string): void {
  assert.ok(
    text.includes(part),
    msg ?? `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/** Asserts that `fn` throws an instance of `type`, and returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
  msg?: string,
): E {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof type, msg ?? `expected ${type.name}, got ${err}`);
    return err as E;
  }
  throw new assert.AssertionError({ message: msg ?? `expected ${type.name} to be thrown` });
}

/** Asserts that `promise` rejects with an instance of `type`, and returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
  msg?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof type, msg ?? `expected ${type.name}, got ${err}`);
    return err as E;
  }
  throw new assert.AssertionError({ message: msg ?? `expected ${type.name} to be rejected` });
}

/** Runs `fn` with a new temporary folder, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
