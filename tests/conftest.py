"""Test set-up shared by every test: xlwings in its server mode, before anything imports it.

With ``XLWINGS_ON_SERVER=true`` ``from xlwings import func, arg, ret`` are xlwings Server's real
decorators (not the no-op stubs of Linux), so the worksheet functions carry their metadata and
can be called through ``xlwings.server.custom_functions_call`` exactly as Excel's Office.js
runtime calls them (xlwings Lite and Server). The licence key is the PolyForm Noncommercial one.
"""

import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ENVIRONMENT", "prod")
os.environ.setdefault("XLWINGS_ENABLE_SOCKETIO", "false")


# --- broken and hostile workbooks (tests/test_hostile*.py), built once per session ----------

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """The real template, built once (``workbook.template.build``)."""
    from workbook.template import build

    return build(tmp_path_factory.mktemp("hostile") / "Tarifa.xlsx").path


@pytest.fixture(scope="session")
def corpus(template, tmp_path_factory):
    """Every file of tests/hostile_corpus.py, by name."""
    from tests.hostile_corpus import CORPUS

    folder = tmp_path_factory.mktemp("corpus")
    return {name: make(template, folder / f"{k:02d}.xlsx")
            for k, (name, (make, _)) in enumerate(CORPUS.items())}
