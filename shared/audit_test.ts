import { assertEquals, assertTrue } from "./testing.ts";
import { AuditLog, verifyAuditDir } from "./audit.ts";

async function withLog(fn: (dir: string, file: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    const log = AuditLog.open(dir, "queen");
    const day = new Date("2026-11-26T10:00:00Z");
    for (let i = 0; i < 5; i++) {
      log.record({ event: "auth", actor: "abc123", subject: `/v1/x${i}`, outcome: "success" }, day);
    }
    await fn(dir, `${dir}/queen-2026-11-26.jsonl`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const lines = (file: string) => Deno.readTextFileSync(file).split("\n").filter(Boolean);

Deno.test("an untouched chain verifies, across days and restarts; files are 0600", async () => {
  await withLog((dir, file) => {
    const reopened = AuditLog.open(dir, "queen");
    reopened.record(
      { event: "token_reload", actor: null, outcome: "success" },
      new Date("2026-11-27T00:00:01Z"),
    );
    assertEquals(verifyAuditDir(dir), { records: 6, broken: null });
    assertEquals(Deno.statSync(file).mode! & 0o777, 0o600);
    return Promise.resolve();
  });
});

Deno.test("an edited record is found", async () => {
  await withLog((dir, file) => {
    const l = lines(file);
    l[2] = l[2].replace('"success"', '"failure"');
    Deno.writeTextFileSync(file, l.join("\n") + "\n");
    const { broken } = verifyAuditDir(dir);
    assertEquals([broken?.line, broken?.reason.includes("edited")], [3, true]);
    return Promise.resolve();
  });
});

Deno.test("a deleted, a reordered and a truncated record are found", async () => {
  for (
    const [change, line] of [
      [(l: string[]) => l.filter((_, i) => i !== 1), 2],
      [(l: string[]) => [l[0], l[2], l[1], l[3], l[4]], 2],
      [(l: string[]) => [...l.slice(0, 4), l[4].slice(0, 40)], 5],
    ] as const
  ) {
    await withLog((dir, file) => {
      Deno.writeTextFileSync(file, change(lines(file)).join("\n") + "\n");
      const { broken } = verifyAuditDir(dir);
      assertTrue(broken !== null);
      assertEquals(broken.line, line);
      return Promise.resolve();
    });
  }
});
