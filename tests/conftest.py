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
