"""Broken and hostile workbooks made from the real template, for tests/test_hostile*.py.

``patched`` rewrites members of a template (a function per member: bytes -> bytes, or None to
drop it); ``raw_zip`` writes a zip by hand, so that a test can say what no zip library would
write: a member declaring a size it does not have, an encrypted flag, a 1 GiB deflate stream
(built from one repeated block in a fraction of a second, a few MB on disk).
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

MIB = 1 << 20
MSIGN_SHEET = "xl/worksheets/sheet3.xml"  # Usage_mSign (tables/table8.xml)
MSIGN_TABLE = "xl/tables/table8.xml"
STRINGS = "xl/sharedStrings.xml"

Edit = Callable[[bytes], bytes] | None


def patched(src: Path, dst: Path, edits: dict[str, Edit], add: dict[str, bytes] | None = None,
            method: int = zipfile.ZIP_DEFLATED) -> Path:
    """``src`` with ``edits`` applied per member (None drops the member) and ``add`` added."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", method) as out:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename in edits:
                edit = edits[info.filename]
                if edit is None:
                    continue
                data = edit(data)
            out.writestr(info.filename, data)
        for name, data in (add or {}).items():
            out.writestr(name, data)
    return dst


def sub(pattern: bytes, repl: bytes, count: int = 1) -> Callable[[bytes], bytes]:
    """An edit replacing ``pattern`` (a regex) by ``repl``; fails loudly if nothing matched."""
    def edit(data: bytes) -> bytes:
        out, n = re.subn(pattern, repl, data, count=count)
        assert n, f"no match for {pattern!r}"
        return out
    return edit


def members(src: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(src) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def raw_zip(dst: Path, entries: list[dict]) -> Path:
    """A zip written by hand. Each entry: name, data (the bytes stored), crc, size (declared
    uncompressed size), method (0/8), flags."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e["name"].encode()
        data = e["data"]
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, e.get("flags", 0), e["method"], 0,
                           0x21, e["crc"], len(data), e["size"], len(name), 0)
        offset = len(out)
        out += head + name + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, e.get("flags", 0),
                               e["method"], 0, 0x21, e["crc"], len(data), e["size"], len(name),
                               0, 0, 0, 0, 0, offset) + name
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                       len(out), 0)
    dst.write_bytes(bytes(out + central + eocd))
    return dst


def stored(name: str, data: bytes) -> dict:
    return {"name": name, "data": data, "crc": zlib.crc32(data), "size": len(data), "method": 0}


def deflated(name: str, data: bytes) -> dict:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return {"name": name, "data": c.compress(data) + c.flush(), "crc": zlib.crc32(data),
            "size": len(data), "method": 8}


def bomb_entry(name: str, mib: int, declared: int | None = None) -> dict:
    """``mib`` MiB of spaces as one deflate stream: one 1 MiB block compressed once and
    repeated (a full flush makes each block independent), about 1 KB per MiB on disk."""
    chunk = b" " * MIB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    crc = 0
    for _ in range(mib):  # crc32 of the whole stream, chunk by chunk
        crc = zlib.crc32(chunk, crc)
    size = mib * MIB
    return {"name": name, "data": block * mib + end, "crc": crc,
            "size": size if declared is None else declared, "method": 8}


def template_with(src: Path, dst: Path, replace: dict[str, dict]) -> Path:
    """The template as a hand-written zip, some members replaced by raw entries."""
    entries = [replace.get(name) or deflated(name, data) for name, data in members(src)]
    return raw_zip(dst, entries)
