/**
 * The hive → queen control path: a hive registers with its queen and repeats
 * it as a heartbeat, with a summary of its inventory.
 */
import { z } from "zod";

/** Hive names: short, printable, safe in URLs and logs. */
export const HiveName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "Expected a hive name");

/** A hive announcing itself (first call) or staying alive (every heartbeat). */
export const HiveHeartbeat = z.object({
  name: HiveName,
  url: z.url().max(256).refine((u) => /^https?:\/\//.test(u), "Expected an http(s) URL"),
  workers: z.number().int().min(0).max(10_000),
});
/** A hive announcing itself or staying alive. */
export type HiveHeartbeat = z.infer<typeof HiveHeartbeat>;
