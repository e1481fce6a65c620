"""Tocsin's test suite.

pytest-xdist's workers inherit ``COLUMNS=80``, and Rich fixes a console's width from it when
the CLI is imported: the CLI tests would see tables cut at 80 columns that a terminal (or a
pipe, or the serial run) shows whole. The CLI tests choose their own width per invocation.
"""

import os

os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)
