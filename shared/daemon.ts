/**
 * Serving a daemon's HTTP app: bind, announce the listening URL as one JSON line
 * on stdout (what parents and tests wait for), and stop cleanly on SIGTERM/SIGINT.
 */

/** A running HTTP daemon. */
export interface Daemon {
  /** The URL it accepts connections on (with the port actually bound). */
  url: string;
  /** Port actually bound. */
  port: number;
  /** Stops accepting, lets in-flight requests end. */
  close(): Promise<void>;
  /** Resolves once the server has stopped. */
  finished: Promise<void>;
}

/** The line a daemon prints once it accepts connections. */
export function listeningLine(url: string): string {
  return JSON.stringify({ event: "listening", url });
}

/** Formats a host and port as a URL (IPv6 hosts bracketed). */
export function hostUrl(host: string, port: number): string {
  const shown = host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

/** Binds `handler` on host:port and prints the listening line once bound; throws a plain error if it cannot. */
export function serveDaemon(
  handler: (req: Request) => Response | Promise<Response>,
  opts: { host: string; port: number; announce?: boolean },
): Daemon {
  const controller = new AbortController();
  let url = "";
  let port = 0;
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: opts.host,
      port: opts.port,
      signal: controller.signal,
      onListen: (addr) => {
        port = addr.port;
        url = hostUrl(opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host, addr.port);
      },
    }, handler);
  } catch (err) {
    throw listenError(err, opts.host, opts.port);
  }
  if (opts.announce !== false) console.log(listeningLine(url));
  return {
    url,
    port,
    close: async () => {
      controller.abort();
      await server.finished;
    },
    finished: server.finished,
  };
}

/** A plain message for a failed bind, naming the address (the OS's wording alone does not). */
function listenError(err: unknown, host: string, port: number): Error {
  const where = hostUrl(host, port).slice("http://".length);
  if (err instanceof Deno.errors.AddrInUse) {
    return new Error(`Cannot listen on ${where}: the address is already in use (is another daemon running?)`);
  }
  return new Error(`Cannot listen on ${where}: ${(err as Error).message ?? err}`);
}

/** Runs `onSignal` once on the first SIGTERM or SIGINT. */
export function onShutdownSignal(onSignal: (signal: Deno.Signal) => void | Promise<void>): void {
  let fired = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => {
      if (fired) return;
      fired = true;
      void onSignal(signal);
    });
  }
}
