import { assertEquals } from "../shared/testing.ts";
import { StopMatcher } from "./stop_sequences.ts";

Deno.test("emits everything when there are no stop sequences", () => {
  const m = new StopMatcher([]);
  assertEquals(m.push("Once"), { emit: "Once", stopped: false });
  assertEquals(m.flush(), "");
});

Deno.test("holds back a possible start and stops on a sequence split across tokens", () => {
  const m = new StopMatcher(["The end"]);
  assertEquals(m.push("happy. Th"), { emit: "happy. ", stopped: false });
  assertEquals(m.push("e e"), { emit: "", stopped: false });
  assertEquals(m.push("nd!"), { emit: "", stopped: true });
});

Deno.test("releases held text when it turns out not to be a stop sequence", () => {
  const m = new StopMatcher(["\n\n"]);
  assertEquals(m.push("a\n"), { emit: "a", stopped: false });
  assertEquals(m.push("b"), { emit: "\nb", stopped: false });
  assertEquals(m.push("\n"), { emit: "", stopped: false });
  assertEquals(m.flush(), "\n");
});

Deno.test("the earliest of several stop sequences wins", () => {
  const m = new StopMatcher(["Lily", "girl"]);
  assertEquals(m.push("a little girl named Lily"), { emit: "a little ", stopped: true });
});
