"""The Excel template: sheets, Tables, formulas and samples, written with XlsxWriter.

``build(path)`` writes the template (``writer``); the sheets are written by
``tariff_sheets`` (Start, Tariffs), ``usage_sheets`` (mSign, eSign, NENSI) and ``calc_sheets``
(Quote, Bill, Estimate); ``samples`` holds the sample rows; ``picture`` renders a sheet to PNG.
"""

from workbook.template.writer import build

__all__ = ["build"]
