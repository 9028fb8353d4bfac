"""Cell formats of the template: inputs (yellow) look different from results (blue)."""

from __future__ import annotations

from workbook import layout as L

NUM_FORMATS = {
    L.EUR: '#,##0.00 "EUR";-#,##0.00 "EUR"', L.PRICE: '#,##0.0000 "EUR"',
    L.DATE: "yyyy-mm-dd", L.MONTH: "yyyy-mm", L.NUMBER: "#,##0.######", L.PERCENT: '0.0##" %"',
    "count": "#,##0", L.TEXT: "@", L.CODE: "@", L.FLAG: "General",
}
INPUT_FILL, RESULT_FILL = "#FFF4CC", "#DCE9F7"


class Styles:
    """The formats of one workbook (XlsxWriter formats belong to their workbook)."""

    def __init__(self, wb) -> None:
        self.wb = wb
        self._input, self._result, self._column = {}, {}, {}
        self.title = wb.add_format({"bold": True, "font_size": 15, "font_color": "#1F3864"})
        self.subtitle = wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F3864"})
        self.label = wb.add_format({"bold": True, "valign": "top"})
        self.note = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": False})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.table_header = wb.add_format({"bold": True, "bg_color": "#FFE699", "border": 1,
                                           "text_wrap": True, "valign": "top"})
        self.result_header = wb.add_format({"bold": True, "bg_color": "#9DC3E6", "border": 1,
                                            "text_wrap": True, "valign": "top"})
        self.warn = wb.add_format({"bold": True, "font_color": "#C00000"})
        self.missing = wb.add_format({"bg_color": "#F8CBAD", "border": 1,
                                      "num_format": NUM_FORMATS[L.PRICE]})

    def input(self, kind: str):
        if kind not in self._input:
            self._input[kind] = self.wb.add_format({
                "bg_color": INPUT_FILL, "border": 1, "border_color": "#BFBFBF",
                "num_format": NUM_FORMATS.get(kind, "General"), "valign": "top"})
        return self._input[kind]

    def column(self, kind: str, wrap: bool = False):
        """A column's default format below its Table: the number format only (wrapped text
        for the Check texts), for the rows a Table grows into."""
        if (kind, wrap) not in self._column:
            self._column[(kind, wrap)] = self.wb.add_format({
                "num_format": NUM_FORMATS.get(kind, NUM_FORMATS[L.EUR] if kind == "total"
                                              else "General"),
                "text_wrap": wrap, "valign": "top"})
        return self._column[(kind, wrap)]

    def result(self, kind: str):
        if kind not in self._result:
            self._result[kind] = self.wb.add_format({
                "bg_color": RESULT_FILL, "border": 1, "border_color": "#BFBFBF",
                "num_format": NUM_FORMATS.get(kind, NUM_FORMATS[L.EUR] if kind == "total"
                                              else "General"), "bold": kind == "total",
                "text_wrap": kind == L.TEXT, "valign": "top"})
        return self._result[kind]
