"""The one error every reader raises for a workbook it refuses."""


class WorkbookError(ValueError):
    """The file is not a workbook Tarifa can read: the message is one line saying what is
    wrong (and the limit, where one was passed); commands print it and exit with code 1."""
