/**
 * The hives a queen knows: the one it started itself and those that register
 * over HTTP and keep sending heartbeats. A registered hive that stays silent
 * for `staleMs` is dropped (and the drop reported once).
 */
import { HiveClient } from "./hive_client.ts";

interface Entry {
  client: HiveClient;
  lastSeen: number;
  /** The hive the queen started: it lives as long as the queen, heartbeat or not. */
  pinned: boolean;
}

/** The queen's hives, by name. */
export class HiveRegistry {
  readonly #hives = new Map<string, Entry>();

  constructor(
    /** Token the queen presents to registered hives (RBEE_HIVE_TOKEN or --hive-token-file). */
    private readonly hiveToken: string | null,
    private readonly staleMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a hive that lives as long as the queen. */
  pin(client: HiveClient): void {
    this.#hives.set(client.name, { client, lastSeen: this.now(), pinned: true });
  }

  /** Records a heartbeat; true when the hive is new (or came back at another URL). */
  heartbeat(name: string, url: string): boolean {
    const known = this.#hives.get(name);
    if (known && known.client.url === url) {
      known.lastSeen = this.now();
      return false;
    }
    if (known?.pinned) return false; // a registration never replaces the queen's own hive
    this.#hives.set(name, {
      client: new HiveClient(name, url, this.hiveToken),
      lastSeen: this.now(),
      pinned: false,
    });
    return true;
  }

  /** Live hives, the queen's own first; drops (and returns through `onDrop`) the silent ones. */
  list(onDrop?: (name: string) => void): HiveClient[] {
    const now = this.now();
    for (const [name, entry] of this.#hives) {
      if (!entry.pinned && now - entry.lastSeen > this.staleMs) {
        this.#hives.delete(name);
        onDrop?.(name);
      }
    }
    return [...this.#hives.values()].sort((a, b) => Number(b.pinned) - Number(a.pinned)).map((e) => e.client);
  }
}
