"""Secrets in tocsin.yaml (docs/security.md#secrets).

Besides a secret written in the file, or Alertmanager's ``*_file`` keys (``bot_token_file``,
``password_file`` ...: read when the file loads), any value may be given as

* ``${NAME}``: the whole value is the environment variable NAME, read when the file loads;
* ``enc:...``: encrypted with the site's keys (``tocsin secrets encrypt`` prints it).

The ``remediation`` section is the exception: its headers' ``${NAME}`` references are read
when an action runs, so what is stored and shown of a run keeps the reference; an
``enc:`` value there is refused.

Every secret the file holds (at a key that names one, or given as a reference) is told to
``tocsin.redaction``, so that no log line shows it; ``redacted_text`` is the file as
``/api/v2/status`` shows it, with those values replaced by ``<secret>`` as Alertmanager does.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from tocsin import redaction
from tocsin.config.yaml_source import YamlSource
from tocsin.domain.remediation import SECRET
from tocsin.errors import ConfigError
from tocsin.secret_box import PREFIX, SecretBox, SecretKeyError, keys_for
from tocsin.settings import Settings

__all__ = [
    "KeySource",
    "from_environment",
    "is_secret_key",
    "redacted_text",
    "referenced_text",
    "resealed_text",
    "resolve",
    "sealed_values",
]

#: The site's keys, asked for only when the file holds an ``enc:`` value (None: no key).
KeySource = Callable[[], SecretBox | None]

#: ``${NAME}``: the same reference remediation's headers take.
_REFERENCE = SECRET
#: Keys whose value is a secret wherever they are (Alertmanager's and Tocsin's).
_SECRET_KEYS = frozenset(
    {
        "api_key",
        "api_secret",
        "app_token",
        "auth_password",
        "auth_secret",
        "auth_token",
        "bearer_token",
        "bot_token",
        "client_secret",
        "credentials",
        "ntfy_topic",
        "opsgenie_api_key",
        "password",
        "routing_key",
        "secret",
        "service_key",
        "signing_secret",
        "slack_api_url",
        "smtp_auth_password",
        "smtp_auth_secret",
        "token",
        "user_key",
        "victorops_api_key",
        "webhook_url",
        "wechat_api_secret",
    }
)
#: Keys that hold a secret inside one kind of section (a webhook's URL often carries a
#: token; a Slack api_url is an incoming webhook's secret URL).
_SECRET_IN = {"url": "webhook_configs", "api_url": "slack_configs"}


def is_secret_key(keys: Sequence[str | int]) -> bool:
    """Whether the value at ``keys`` (a path in the file) is a secret."""
    if not keys or not isinstance(keys[-1], str):
        return False
    name = keys[-1]
    if name in _SECRET_KEYS:
        return True
    section = _SECRET_IN.get(name)
    return section is not None and section in keys[:-1]


def from_environment() -> SecretBox | None:
    """The keys as ``tocsin serve`` would find them from the environment (no key file is
    made here: only read)."""
    return keys_for(Settings(), create=False)


def resolve(
    source: YamlSource, keys: KeySource = from_environment, environ: Mapping[str, str] | None = None
) -> YamlSource:
    """``source`` with its references replaced by the secrets they name; ConfigError
    listing every reference that cannot be (file:line: key: problem)."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    box: list[SecretBox | None] = []

    def problem(path: list[str | int], text: str) -> None:
        problems.append(str(source.error(path, text)))

    def opened(value: str, path: list[str | int]) -> str | None:
        if not box:
            try:
                box.append(keys())
            except SecretKeyError as exc:
                problem(path, str(exc))
                return None
        found = box[0]
        if found is None:
            problem(path, "is encrypted, and no key is set (TOCSIN_SECRET_KEYS)")
            return None
        try:
            return found.open(value, "this value")
        except SecretKeyError as exc:
            problem(path, str(exc))
            return None

    def walk(value: Any, path: list[str | int]) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, [*path, i]) for i, v in enumerate(value)]
        if not isinstance(value, str):
            return value
        in_remediation = bool(path) and path[0] == "remediation"
        if value.startswith(PREFIX):
            if in_remediation:
                problem(path, "remediation reads secrets from ${NAME} references, not enc:")
                return value
            plain = opened(value, path)
            _remember(plain)
            return plain if plain is not None else value
        reference = _REFERENCE.fullmatch(value.strip())
        if reference is not None and not in_remediation:
            name = reference.group(1)
            if name not in env:
                problem(path, f"${{{name}}} is not set in the environment")
                return value
            _remember(env[name])
            return env[name]
        if is_secret_key(path):
            _remember(value)
        return value

    data = walk(source.data, [])
    if problems:
        raise ConfigError("\n".join(problems))
    return dataclasses.replace(source, data=data)


#: A part of a secret URL this long is taken for its secret (a webhook's token), and
#: blanked wherever it shows; shorter parts ("/api", "hooks") are left.
_URL_PART = 16


def _remember(value: str | None) -> None:
    """Tell the log redaction a secret; of a URL, its long path segments and query values
    too (an error may quote the path alone)."""
    redaction.remember(value)
    if value and value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        words = [*parts.path.split("/"), *(v for _, v in parse_qsl(parts.query))]
        redaction.remember(*(w for w in words if len(w) >= _URL_PART))


def _secret_scalars(
    root: yaml.Node | None, *, sealed: bool = True
) -> list[tuple[yaml.ScalarNode, list[str]]]:
    """The secrets written into a YAML text (not references), with where they are: each
    list entry named by its ``name`` or ``id`` where it has one, else by its place."""
    found: list[tuple[yaml.ScalarNode, list[str]]] = []

    def walk(node: yaml.Node | None, path: list[str], keys: list[str | int]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here, where = [*path, str(key.value)], [*keys, str(key.value)]
                if isinstance(value, yaml.ScalarNode) and is_secret_key(where):
                    shown = value.value.strip()
                    if (
                        shown
                        and not _REFERENCE.fullmatch(shown)
                        and (sealed or not shown.startswith(PREFIX))
                    ):
                        found.append((value, here))
                else:
                    walk(value, here, where)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, [*path, _entry_name(item) or str(i)], [*keys, i])

    walk(root, [], [])
    return found


def _entry_name(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value in ("name", "id") and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None


def _replaced(text: str, spans: list[tuple[int, int, str]]) -> str:
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def redacted_text(text: str) -> str:
    """The configuration file's text with every secret's value replaced by ``<secret>``
    (a reference such as ``${NAME}`` is kept: it is not the secret)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return "# the configuration file cannot be shown: it is not valid YAML\n"
    return _replaced(
        text,
        [(n.start_mark.index, n.end_mark.index, redaction.MASK) for n, _ in _secret_scalars(root)],
    )


def referenced_text(
    text: str, prefix: str = "TOCSIN_", taken: Collection[str] = ()
) -> tuple[str, dict[str, str]]:
    """The text with every secret written into it replaced by a ``${NAME}`` reference, and
    the names made (name: the key's path, dotted), for an export that holds no secret. The
    names come from where the secrets are (``TOCSIN_RECEIVERS_TEAM_SLACK_CONFIGS_0_API_URL``).
    ConfigError if the text is not YAML."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    names: dict[str, str] = {}
    spans = []
    for node, path in _secret_scalars(root, sealed=False):  # enc: values stay: encrypted
        base = prefix + re.sub(r"[^A-Z0-9]+", "_", "_".join(path).upper()).strip("_")
        name, n = base, 2
        while name in names or name in taken:
            name, n = f"{base}_{n}", n + 1
        names[name] = ".".join(path)
        spans.append((node.start_mark.index, node.end_mark.index, f'"${{{name}}}"'))
    return _replaced(text, spans), names


def _sealed_scalars(text: str) -> list[tuple[yaml.ScalarNode, list[str | int]]]:
    """The ``enc:`` values of a YAML text with where they are; ConfigError for bad YAML."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    found: list[tuple[yaml.ScalarNode, list[str | int]]] = []

    def walk(node: yaml.Node | None, path: list[str | int]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, [*path, str(key.value)])
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, [*path, i])
        elif isinstance(node, yaml.ScalarNode) and str(node.value).startswith(PREFIX):
            found.append((node, path))

    walk(root, [])
    return found


def sealed_values(text: str) -> list[tuple[list[str | int], str]]:
    """Every ``enc:`` value of a configuration file's text, with its keys."""
    return [(path, str(node.value)) for node, path in _sealed_scalars(text)]


def resealed_text(text: str, reseal: Callable[[str, list[str | int]], str]) -> tuple[str, int]:
    """The text with each ``enc:`` value replaced by ``reseal(value, keys)``, all else (and
    each value's quotes) as it was; and how many were replaced."""
    spans = []
    for node, path in _sealed_scalars(text):
        if node.style not in (None, "", "'", '"'):
            raise ConfigError(
                f"{'.'.join(map(str, path))}: write an enc: value on one line (it is not "
                "rewritten inside a block scalar)"
            )
        fresh = reseal(str(node.value), path)
        quote = node.style or ""
        spans.append((node.start_mark.index, node.end_mark.index, f"{quote}{fresh}{quote}"))
    for start, end, fresh in sorted(spans, reverse=True):
        text = text[:start] + fresh + text[end:]
    return text, len(spans)
