"""Reading a workbook someone sent us, safely: every reader of Tarifa goes through here.

``open_workbook(path, limits)`` checks the zip's central directory before anything parses the
file (``archive``), then reads the structure -- sheets, Tables and their ranges -- from the small
parts (``structure``); ``extract`` copies only the Tables' own cells into a small workbook for
the cell reader. Every refusal is a ``WorkbookError`` with one line: what is wrong, and the
limit where one was passed. ``Limits`` holds the limits (1 GiB uncompressed by default).
"""

from workbook.reading.archive import GIB, MIB, Archive, Limits, parse_size, size_text
from workbook.reading.errors import WorkbookError
from workbook.reading.structure import Structure, TablePart, read_structure

__all__ = ["GIB", "MIB", "Archive", "Limits", "Structure", "TablePart", "WorkbookError",
           "check_workbook", "parse_size", "read_structure", "size_text"]


def check_workbook(path, limits: Limits | None = None, *, tables: bool = True) -> int:
    """Everything a reader would meet, checked without reading cells: the zip's directory,
    every member inflated once (CRC, size; XML well-formed, no DOCTYPE) and, for an .xlsx,
    its Tables' ranges and names. For `tarifa recalc`, before LibreOffice sees the file.
    Returns the uncompressed size of all members (bytes)."""
    with Archive.open(path, limits) as archive:
        archive.check_all()
        if tables:
            read_structure(archive)
        return sum(i.file_size for i in archive.infos.values())
