"""Notification templates (channels/templates.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import LABELS
from tocsin.channels.notification import Notification, PayloadAlert
from tocsin.channels.templates import DEFAULT_TITLE, Template, TemplateError

PIECES = st.sampled_from(
    [
        "{{", "}}", "{%", "%}", "{#", "#}", " ", "x", "for a in Alerts", "endfor", "if",
        "endif", "CommonLabels", ".alertname", "|upper", "|join_labels", "Status", "Alerts",
        "a.Labels", "nope", "(", ")", "'", '"', "[0]", "|length", "__class__", "range(3)",
        ".Firing", "set x = 1", "~", "+", "1", "\n",
    ]
)  # fmt: skip
#: Templates that compile, as receivers use them.
GOOD = [
    DEFAULT_TITLE,
    "{{ CommonLabels.alertname }} {{ CommonAnnotations.summary }}",
    "{% for a in Alerts.Firing %}{{ a.Labels|join_labels }} {{ a.Annotations.summary }}\n"
    "{% endfor %}{{ Alerts.Resolved|length }} resolved",
    "{{ GroupLabels|join_labels }} {{ ExternalURL }}/{{ GroupKey }}",
    "{% for a in Alerts %}{{ a.Labels.severity|upper }} {{ a.StartsAt }}{% endfor %}",
]


@FUZZ
@given(st.text(max_size=40) | st.lists(PIECES, max_size=12).map("".join))
def test_any_text_compiles_or_raises_template_error(source: str) -> None:
    try:
        template = Template(source)
    except TemplateError as exc:
        assert str(exc).startswith("template error") or "unknown name" in str(exc)
        return
    assert template.source == source


def _alert(labels: dict[str, str], annotations: dict[str, str], firing: bool) -> PayloadAlert:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return PayloadAlert(
        fingerprint="0" * 16,
        labels=labels,
        annotations=annotations,
        starts_at=start,
        ends_at=None if firing else start,
        generator_url="",
        firing=firing,
    )


@FUZZ
@given(
    st.sampled_from(GOOD),
    st.lists(st.tuples(LABELS, LABELS, st.booleans()), max_size=4),
    LABELS,
    st.text(max_size=10),
    st.booleans(),
)
def test_compiled_templates_render_any_label_data(
    source: str,
    alerts: list[tuple[dict[str, str], dict[str, str], bool]],
    group: dict[str, str],
    receiver: str,
    html: bool,
) -> None:
    template = Template(source, html=html)
    n = Notification(
        receiver=receiver,
        group_key="{}:{}",
        group_labels=group,
        alerts=[_alert(*a) for a in alerts],
        external_url="http://tocsin",
    )
    text = template.render(n)
    assert isinstance(text, str)
    if html:
        for labels, _, _ in alerts:
            for value in labels.values():
                assert "<" not in value or value not in text  # values are escaped
