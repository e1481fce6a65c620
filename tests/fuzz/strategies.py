"""Strategies shared by the fuzz tests: JSON/YAML-like documents and label sets."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

LABEL_NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,15}", fullmatch=True)

SCALARS: st.SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


def documents(scalars: st.SearchStrategy[Any] = SCALARS) -> st.SearchStrategy[Any]:
    """Nested lists and string-keyed mappings of scalars, as JSON and YAML can hold."""
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=12,
    )


LABELS = st.dictionaries(LABEL_NAMES, st.text(max_size=20), max_size=5)
