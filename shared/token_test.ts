import { assertEquals, assertThrows, assertTrue } from "./testing.ts";
import { RbeeError } from "./errors.ts";
import { TokenStore } from "./daemon_security.ts";
import { fingerprint, generateToken, loadToken, readTokenFile, tokensMatch, validateToken } from "./token.ts";

Deno.test("a token is one line of at least 16 non-space characters", () => {
  assertEquals(validateToken("abcdefghijklmnop\n", "test"), "abcdefghijklmnop");
  for (const bad of ["", "   ", "tiny-tok", "abcdefgh ijklmnopq", "abcdefghijklmnop\nsecond-line-here"]) {
    const err = assertThrows(() => validateToken(bad, "test"), RbeeError);
    assertEquals(err.message.includes(bad.trim()) && bad.trim() !== "", false, "the token is echoed");
  }
});

Deno.test("matching is exact and fingerprints are 6 hex characters", () => {
  const t = generateToken();
  assertTrue(tokensMatch(t, t));
  assertEquals(tokensMatch(t + "x", t), false);
  assertEquals(tokensMatch("", t), false);
  assertTrue(/^[0-9a-f]{6}$/.test(fingerprint(t)));
});

Deno.test("token files readable by group or others are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/token`;
    await Deno.writeTextFile(path, "0123456789abcdef0123\n", { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    const err = assertThrows(() => readTokenFile(path), RbeeError);
    assertTrue(err.message.includes("chmod 600"));
    await Deno.chmod(path, 0o600);
    assertEquals(readTokenFile(path), "0123456789abcdef0123");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sources: file, then systemd credential, then environment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/rbee-token`, "credential-token-1234", { mode: 0o600 });
    const sources = { credential: "rbee-token", envVar: "RBEE_TOKEN" };
    assertEquals(loadToken(sources, { RBEE_TOKEN: "environment-token-123" }), "environment-token-123");
    assertEquals(
      loadToken(sources, { CREDENTIALS_DIRECTORY: dir, RBEE_TOKEN: "environment-token-123" }),
      "credential-token-1234",
    );
    assertEquals(loadToken(sources, {}), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a reload that finds no token keeps the old one", () => {
  let source: string | null = "first-token-0123456789";
  const store = new TokenStore(() => source);
  source = null;
  assertThrows(() => store.reload(), Error);
  assertEquals(store.current(), "first-token-0123456789");
  source = "second-token-0123456789";
  store.reload();
  assertEquals(store.current(), "second-token-0123456789");
});
