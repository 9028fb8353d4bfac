"""The zip container of a workbook, checked before anything parses it.

``Archive.open(path, limits)`` reads only the zip's central directory and refuses, with one
line saying what is wrong and the limit:

* a file that is no zip (an encrypted .xlsx is an OLE compound file, as is an old .xls);
* more members than ``limits.members``, a name given twice, an encrypted member;
* a total uncompressed size above ``limits.total_bytes`` (1 GiB unless set), or a large member
  compressed more than ``limits.ratio`` : 1 (a zip bomb expands a few KB into GBs).

``Archive.part(name)`` then inflates one member in chunks, never past its declared size (a
member that inflates to more, or whose CRC differs, is refused) and, for XML, checks while
inflating that it is well-formed XML with no DOCTYPE: no DTD, so no entity expansion (billion
laughs) and no external entity, is ever processed by any reader after us.
"""

from __future__ import annotations

import xml.parsers.expat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from workbook.reading.errors import WorkbookError

GIB = 1 << 30
MIB = 1 << 20
_CHUNK = 1 << 16
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XML_SUFFIXES = (".xml", ".rels", ".vml")


@dataclass(frozen=True)
class Limits:
    """What a workbook may cost before it is refused (sized to the real template: its 55
    members, 0.2 MB, tables of at most 10 columns; 100,000 usage rows are 42 MB of sheet XML,
    compressed 10 : 1)."""

    total_bytes: int = GIB  # all members together, uncompressed (--max-size)
    members: int = 10_000
    ratio: int = 100  # compression ratio refused for a member ...
    ratio_from: int = MIB  # ... of at least this many uncompressed bytes
    table_columns: int = 64
    table_rows: int = 1_048_576  # Excel's sheet: a Table can be as long, its cost is per row


def size_text(n: int) -> str:
    """Bytes as a person reads them: 1 GiB, 300 MiB, 12 KiB."""
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) \
                else f"{value:.1f} {unit}"
    return f"{n} bytes"


class Archive:
    """An opened, checked zip (see the module docstring). Use as a context manager."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, limits: Limits):
        self.path, self.zip, self.limits = path, zf, limits
        self.infos = {i.filename: i for i in zf.infolist()}

    @classmethod
    def open(cls, path: Path, limits: Limits | None = None) -> Archive:
        path = Path(path)
        limits = limits or Limits()
        try:
            with open(path, "rb") as f:
                head = f.read(8)
            size = path.stat().st_size
        except OSError as e:
            raise WorkbookError(f"{path}: cannot open it ({e.strerror or e})") from None
        if head == _OLE_MAGIC:
            raise WorkbookError(f"{path}: is encrypted (password-protected) or an old .xls "
                                "file: save it in Excel as an .xlsx workbook without a password")
        if size > limits.total_bytes:
            raise WorkbookError(f"{path}: the file is {size_text(size)}, more than the limit of "
                                f"{size_text(limits.total_bytes)} (--max-size)")
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as e:
            raise WorkbookError(f"{path}: is not an .xlsx workbook (not a valid zip file: {e})"
                                ) from None
        try:
            archive = cls(path, zf, limits)
            archive._check_directory()
        except BaseException:
            zf.close()
            raise
        return archive

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.zip.close()

    def _check_directory(self) -> None:
        infos, lim, where = self.zip.infolist(), self.limits, self.path
        if len(infos) > lim.members:
            raise WorkbookError(f"{where}: the zip holds {len(infos):,} members, more than the "
                                f"limit of {lim.members:,}")
        if len(self.infos) != len(infos):
            seen: set[str] = set()
            twice = next(i.filename for i in infos if i.filename in seen or seen.add(i.filename))
            raise WorkbookError(f"{where}: the zip holds the member {twice} twice")
        for i in infos:
            if i.flag_bits & 0x1:
                raise WorkbookError(f"{where}: the member {i.filename} is encrypted: save the "
                                    "workbook without a password")
            if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise WorkbookError(f"{where}: the member {i.filename} uses compression method "
                                    f"{i.compress_type}; an .xlsx uses deflate (8) or none (0)")
        total = sum(i.file_size for i in infos)
        if total > lim.total_bytes:
            big = max(infos, key=lambda i: i.file_size)
            raise WorkbookError(
                f"{where}: it expands to {total:,} bytes ({size_text(total)}), more than the "
                f"limit of {lim.total_bytes:,} bytes ({size_text(lim.total_bytes)}, "
                f"--max-size); {big.filename} alone is {size_text(big.file_size)}")
        for i in infos:
            if i.file_size >= lim.ratio_from and i.file_size > lim.ratio * max(1, i.compress_size):
                ratio = i.file_size / max(1, i.compress_size)
                raise WorkbookError(
                    f"{where}: the member {i.filename} expands {ratio:,.0f} : 1 "
                    f"({size_text(i.compress_size)} to {size_text(i.file_size)}), more than "
                    f"the limit of {lim.ratio} : 1 for a member of "
                    f"{size_text(lim.ratio_from)} or more: a zip bomb?")

    def has(self, name: str) -> bool:
        return name in self.infos

    def require(self, name: str, what: str) -> None:
        if name not in self.infos:
            raise WorkbookError(f"{self.path}: the part {name} ({what}) is missing: is it an "
                                ".xlsx workbook saved by Excel or LibreOffice?")

    def part(self, name: str) -> bytes:
        """Member ``name`` inflated and checked (size, CRC; XML: well-formed, no DOCTYPE)."""
        info = self.infos.get(name)
        if info is None:
            raise WorkbookError(f"{self.path}: the part {name} is missing")
        check = _XmlCheck(self.path, name) if name.lower().endswith(XML_SUFFIXES) else None
        chunks: list[bytes] = []
        try:
            with self.zip.open(info) as f:
                while chunk := f.read(_CHUNK):
                    if check:
                        check.feed(chunk)
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as e:
            raise WorkbookError(f"{self.path}: the part {name} is damaged ({_zip_reason(e)}): "
                                "the file is corrupt or was cut short") from None
        if check:
            check.feed(b"", final=True)
        return b"".join(chunks)

    def check_all(self) -> None:
        """Inflate every member once (CRC, size; XML as in ``part``), keeping nothing."""
        for name, info in self.infos.items():
            if info.is_dir():
                continue
            check = _XmlCheck(self.path, name) if name.lower().endswith(XML_SUFFIXES) else None
            try:
                with self.zip.open(info) as f:
                    while chunk := f.read(_CHUNK):
                        if check:
                            check.feed(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError,
                    NotImplementedError) as e:
                raise WorkbookError(f"{self.path}: the part {name} is damaged "
                                    f"({_zip_reason(e)}): the file is corrupt or was cut short"
                                    ) from None
            if check:
                check.feed(b"", final=True)


def _zip_reason(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    if "CRC" in text:
        return "its checksum (CRC-32) does not match"
    if isinstance(e, zlib.error):
        return f"its compressed data cannot be inflated: {text}"
    return text


class _DoctypeRefused(Exception):
    pass


class _XmlCheck:
    """Expat with no content handlers (C speed): well-formedness, and a DOCTYPE refused the
    moment it starts (before any entity could be declared or expanded)."""

    def __init__(self, path: Path, name: str):
        self.path, self.name = path, name
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.ExternalEntityRefHandler = self._doctype

    def _doctype(self, *args: object) -> None:
        raise _DoctypeRefused

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except _DoctypeRefused:
            raise WorkbookError(
                f"{self.path}: the part {self.name} declares a DOCTYPE (a DTD, which can define "
                "entities: billion laughs, external files); Excel never writes one - refused"
            ) from None
        except xml.parsers.expat.ExpatError as e:
            raise WorkbookError(
                f"{self.path}: the part {self.name} is not well-formed XML "
                f"({xml.parsers.expat.ErrorString(e.code)}, line {e.lineno}, column "
                f"{e.offset}): the file is damaged") from None


def parse_size(text: str, option: str = "--max-size") -> int:
    """'1G', '512M', '300MiB', '2000000' -> bytes (for --max-size, --memory)."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1024, "M": MIB, "G": GIB}.get(t[-1:], 1)
    number = t[:-1] if t[-1:] in "KMG" else t
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{option} {text!r}: give a size such as 1G, 512M or 2000000"
                         ) from None
    if not value > 0 or value * scale > 64 * GIB:
        raise ValueError(f"{option} {text!r}: give a size between 1 byte and 64G")
    return int(value * scale)
