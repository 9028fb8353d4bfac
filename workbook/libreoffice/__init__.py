"""Headless LibreOffice: recalculating a workbook with Tarifa's functions, without Excel.

``recalc`` runs soffice with a profile of our own and converts the workbook; ``bridge`` writes
the profile's Basic functions that forward to ``script`` (the Python bridge installed into the
profile); ``checks`` finds what LibreOffice would compute differently from Excel.
"""

from workbook.libreoffice.recalc import (
    RecalcError,
    available,
    bridge_config,
    clean_env,
    ensure_profile,
    find_soffice,
    recalculate,
    run_soffice,
)

__all__ = ["RecalcError", "available", "bridge_config", "clean_env", "ensure_profile",
           "find_soffice", "recalculate", "run_soffice"]
