"""The ``tocsin`` command line: parse, call a service, render."""
