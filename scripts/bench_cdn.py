"""A file server for `deno task bench:pull` that costs the machine almost no CPU.

The Hugging Face hub redirects large downloads to a CDN on other machines; a server on
this one would otherwise take CPU from the download it serves (a Deno server spends
~0.85 ms per MiB, as much as sha256). This one hands files to the kernel with
sendfile(2), which copies from the page cache itself (~0.1 ms per MiB).

Usage: python3 bench_cdn.py ROOT [MB_PER_S]   (prints its URL, serves until killed)
MB_PER_S paces each response to that many MB/s, as a network link would.
"""
import http.server
import os
import sys
import time

ROOT = os.path.realpath(sys.argv[1])
RATE = float(sys.argv[2]) * 1e6 if len(sys.argv) > 2 else 0.0
PACED_SLICE = 256 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = os.path.realpath(os.path.join(ROOT, self.path.split("?")[0].lstrip("/")))
        if not path.startswith(ROOT + os.sep) or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            start = self.range_start(size)
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(size - start))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            self.send_body(f, start, size)

    def range_start(self, size):
        header = self.headers.get("Range", "")
        if header.startswith("bytes=") and header.endswith("-"):
            start = int(header[6:-1])
            return start if 0 <= start < size else 0
        return 0

    def send_body(self, f, start, size):
        if not RATE:
            self.connection.sendfile(f, start, size - start)
            return
        began, sent = time.monotonic(), 0
        while start + sent < size:
            sent += self.connection.sendfile(f, start + sent, min(PACED_SLICE, size - start - sent))
            ahead = began + sent / RATE - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
