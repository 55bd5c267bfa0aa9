"""Drive Debian's `chromium` headless on a file:// page: a screenshot, or the geometry the
page measures itself (`#selftest`: see flowc.render_graph.page) read back with --dump-dom.

No network: the pages are self-contained files, and the switches keep Chromium from calling
home. Every run has a time limit."""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import Any

TIMEOUT_S = 90
_SELFTEST_RE = re.compile(r'<pre id="selftest"[^>]*>(.*?)</pre>', re.S)
_SIZE_PROBE = (
    "<!doctype html><html><body><pre id=size></pre><script>"
    'document.getElementById("size").textContent = innerWidth + "x" + innerHeight;'
    "</script></body></html>"
)


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "Debian's chromium is needed: apt-get install --no-install-recommends chromium"
    return found


def _run(args: list[str], width: int, height: int) -> str:
    with tempfile.TemporaryDirectory(prefix="flowc-chromium-") as profile:
        cmd = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            *args,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    # The page's script must run without an error (Chromium logs them as console messages).
    errors = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    assert not errors, errors
    return done.stdout


@functools.cache
def _chrome_height() -> int:
    """Headless Chromium keeps part of the window for browser UI it does not draw: the page
    gets a shorter viewport than --window-size says. Measured once, then added back."""
    with tempfile.TemporaryDirectory(prefix="flowc-probe-") as tmp:
        probe = Path(tmp) / "size.html"
        probe.write_text(_SIZE_PROBE, encoding="utf-8")
        dom = _run(["--dump-dom", probe.as_uri()], 1280, 800)
    m = re.search(r'<pre id="size">(\d+)x(\d+)</pre>', dom)
    assert m, dom[-2000:]
    return 800 - int(m.group(2))


def page_geometry(page: Path, fragment: str = "", width: int = 1280, height: int = 800) -> Any:
    """What the page measured about itself with a `width` x `height` viewport, after doing
    what `fragment` (`find=...&pick=...`) asks."""
    url = page.resolve().as_uri() + "#selftest" + (f"&{fragment}" if fragment else "")
    args = ["--virtual-time-budget=2000", "--dump-dom", url]
    dom = _run(args, width, height + _chrome_height())
    m = _SELFTEST_RE.search(dom)
    assert m and m.group(1), f"the page wrote no measurements: {dom[-2000:]}"
    data = json.loads(html.unescape(m.group(1)))
    assert data["viewport"] == {"w": width, "h": height}, data["viewport"]
    return data


def screenshot(
    page: Path, png: Path, width: int = 1280, height: int = 800, fragment: str = ""
) -> bytes:
    """A PNG of what a person sees on opening the page (after doing what `fragment`,
    `#selftest&...` as for page_geometry, asks)."""
    url = page.resolve().as_uri() + (f"#selftest&{fragment}" if fragment else "")
    args = ["--virtual-time-budget=2000", f"--screenshot={png}", url]
    _run(args, width, height)
    return png.read_bytes()


def png_pixels(data: bytes) -> tuple[int, int, list[bytearray]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit truecolour PNG (what Chromium
    writes), decoded with the standard library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for r in range(height):
        start = r * (stride + 1)
        kind_byte, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = prev[i]
            if kind_byte == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind_byte == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind_byte == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind_byte == 4:
                corner = prev[i - channels] if i >= channels else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                row[i] = (row[i] + pred) & 0xFF
        rows.append(row)
        prev = row
    return width, height, rows
