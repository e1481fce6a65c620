"""What building a channel from its configuration can fail with: an error that names the key
to fix (reported as ``file:line: receivers.N.kind_configs.M.key: problem``)."""

from __future__ import annotations

from tocsin.channels.templates import Template, TemplateError

__all__ = ["FieldError", "compile_field"]


class FieldError(ValueError):
    """A value that fails when the channel is built (often once globals are applied)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def compile_field(source: str, key: str, *, html: bool = False, prefix: str = "") -> Template:
    """The template of configuration key ``key``; a TemplateError naming the key if broken."""
    try:
        return Template(source, html=html)
    except TemplateError as exc:
        err = TemplateError(f"{prefix}: {exc}" if prefix else str(exc))
        err.field = key  # type: ignore[attr-defined]
        raise err from None
