"""Client configuration: bootstrap address, a Java properties file, and ``-X`` overrides.

Kafka's own tools take a Java-style ``--command-config`` properties file; librdkafka
(which ``confluent_kafka`` wraps) names several settings differently. This module
translates the settings it understands, reports by *name* the keys it does not,
and applies kcat-style ``-X key=value`` overrides last.

Secrets (passwords, the JAAS line) never leave this module in clear text:
:func:`mask_config` and :func:`render_config` show them as ``******``, and no error
message quotes a value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from inferrer.errors import ConfigError

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"

READ_AHEAD: Final = {"queued.max.messages.kbytes": "2048", "fetch.queue.backoff.ms": "10"}
"""The consumers' read-ahead (``-X`` overrides it): 2 MiB of pre-fetched messages per
queue rather than librdkafka's 64 MiB, topped up 10 ms after the queue was full rather
than 1 s. librdkafka's defaults keep up to 64 MiB of a fast broker's data in memory and
then wait a second; the engine folds about 10 MB/s of small messages per core, so a small
queue refilled at once is both lighter and quicker. Measured on 1M small messages, one
topic, 3 partitions (interleaved runs): 104-107 MB peak RSS and 8.9-9.2 s with the
defaults, 82 MB and 7.4-7.5 s with these (BENCHMARKS.md, live).
"""
MASK = "******"

# librdkafka settings whose values are secrets. Keys containing one of the
# fragments below are masked too, so that an unexpected -X key is safe by default.
_SECRET_KEYS = frozenset(
    {
        "sasl.password",
        "sasl.jaas.config",
        "ssl.key.password",
        "ssl.keystore.password",
        "ssl.truststore.password",
        "ssl.key.pem",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config",
    }
)
_SECRET_FRAGMENTS = ("password", "secret", "jaas", "credential", "token", "user.info")

# Java client keys whose librdkafka name is the same and whose meaning matches.
_SAME_NAME = frozenset(
    {
        "bootstrap.servers",
        "client.id",
        "security.protocol",
        "sasl.kerberos.service.name",
        "sasl.oauthbearer.token.endpoint.url",
        "sasl.oauthbearer.client.id",
        "sasl.oauthbearer.scope",
        "ssl.cipher.suites",
        "ssl.keystore.location",
        "ssl.keystore.password",
        "ssl.key.password",
        "ssl.endpoint.identification.algorithm",
        "ssl.providers",
    }
)

# Java client keys with a different librdkafka name.
_RENAMED = {
    "sasl.mechanism": "sasl.mechanisms",
    "ssl.truststore.certificates": "ssl.ca.pem",
    "ssl.keystore.certificate.chain": "ssl.certificate.pem",
    "ssl.keystore.key": "ssl.key.pem",
    "ssl.engine.id": "ssl.engine.id",
}

# Keys that only describe how to read another key we translate; consumed silently.
_CONSUMED = frozenset({"ssl.truststore.type", "ssl.keystore.type", "ssl.truststore.password"})

_LOGIN_MODULES = {
    "org.apache.kafka.common.security.plain.PlainLoginModule": "PLAIN",
    "org.apache.kafka.common.security.scram.ScramLoginModule": "SCRAM",
}

_JAAS = re.compile(r"^\s*(?P<module>[\w.$]+)\s+(?P<flag>required|requisite|sufficient|optional)")
_JAAS_OPTION = re.compile(
    r'(?P<key>[\w.-]+)\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s;]+))'
)


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """librdkafka settings for one cluster, and what was not understood building them."""

    settings: Mapping[str, str]
    warnings: tuple[str, ...] = field(default=())

    @property
    def bootstrap(self) -> str:
        return self.settings.get("bootstrap.servers", "")

    def masked(self) -> dict[str, str]:
        """The settings with every secret value replaced by ``******``."""
        return mask_config(self.settings)


def is_secret_key(key: str) -> bool:
    """True when the value of ``key`` must never be shown."""
    lowered = key.lower()
    return lowered in _SECRET_KEYS or any(f in lowered for f in _SECRET_FRAGMENTS)


def mask_config(settings: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``settings`` with secret values replaced by ``******``, keys sorted."""
    return {k: (MASK if is_secret_key(k) else str(v)) for k, v in sorted(settings.items())}


def redact(text: str, settings: Mapping[str, str]) -> str:
    """``text`` with every secret value of ``settings`` replaced by ``******`` (for
    client library messages that might quote a setting)."""
    for key, value in settings.items():
        if is_secret_key(key) and value and len(str(value)) >= 3:
            text = text.replace(str(value), MASK)
    return text


_KNOWN_SECRETS: set[str] = set()


def remember_secrets(settings: Mapping[str, str]) -> None:
    """Note the secret values of ``settings`` (three characters or more), so that
    :func:`redact_known` masks them in whatever the process writes."""
    _KNOWN_SECRETS.update(
        str(v) for k, v in settings.items() if is_secret_key(k) and v and len(str(v)) >= 3
    )


def redact_known(text: str) -> str:
    """``text`` with every secret value seen by :func:`build_client_config` masked."""
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def render_config(settings: Mapping[str, str]) -> str:
    """``key=value`` lines for messages, with secrets masked."""
    return "\n".join(f"{k}={v}" for k, v in mask_config(settings).items())


def mask_address(address: str) -> str:
    """``address`` with anything before an ``@`` in each of its hosts (``user:password@``)
    replaced by ``******``."""
    hosts = []
    for item in address.split(","):
        scheme, sep, rest = item.rpartition("://")
        if "@" in rest:
            rest = MASK + "@" + rest.rsplit("@", 1)[1]
        hosts.append(scheme + sep + rest)
    return ",".join(hosts)


def _refuse_credentials_in_address(address: str) -> None:
    # librdkafka has no user:password@host form: it would try to resolve the whole
    # text as a host name, and quote it, password included, in its errors.
    masked = mask_address(address)
    if masked != address:
        raise ConfigError(
            f"the bootstrap address {masked} holds credentials: give only host:port, "
            "and the user and password in --command-config (sasl.jaas.config)"
        )


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java ``.properties`` text: ``#``/``!`` comments, ``=``/``:``/space
    separators, backslash line continuations and the usual escapes."""
    result: dict[str, str] = {}
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip()
        if not pending and (not line or line[0] in "#!"):
            continue
        # An odd number of trailing backslashes continues the line.
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending += line[:-1]
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    for line in logical:
        key, value = _split_property(line)
        if key:
            result[key] = value
    return result


def _split_property(line: str) -> tuple[str, str]:
    key_chars: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            key_chars.append(_unescape_char(line[i + 1]))
            i += 2
            continue
        if ch in "=: \t\f":
            break
        key_chars.append(ch)
        i += 1
    rest = line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return "".join(key_chars), _unescape(rest)


def _unescape_char(ch: str) -> str:
    return {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(ch, ch)


def _unescape(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", value[i + 2 : i + 6]):
                out.append(chr(int(value[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_unescape_char(nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_jaas(jaas: str) -> tuple[str, dict[str, str]]:
    """Split a ``sasl.jaas.config`` line into its login module class and options.

    Raises :class:`ConfigError` (without quoting the line) when it is malformed.
    """
    head = _JAAS.match(jaas)
    if head is None:
        raise ConfigError(
            "sasl.jaas.config is not of the form '<LoginModule> required key=\"value\" ...;'"
        )
    options: dict[str, str] = {}
    for m in _JAAS_OPTION.finditer(jaas, head.end()):
        quoted = m.group("quoted")
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else m.group("bare")
        options[m.group("key")] = value
    return head.group("module"), options


REGISTRY_KEY_PREFIXES: Final = ("schema.registry.", "basic.auth.")
"""Properties-file keys that configure the Schema Registry client, not the Kafka one
(:mod:`inferrer.registry.settings` reads them)."""


def is_registry_key(key: str) -> bool:
    """Whether a properties-file key belongs to the Schema Registry client."""
    return key.startswith(REGISTRY_KEY_PREFIXES)


def translate_properties(props: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Translate Java client properties into librdkafka settings.

    Returns the settings and the warnings (each names keys, never values).
    """
    settings: dict[str, str] = {}
    unknown: list[str] = []
    warnings: list[str] = []
    for key in sorted(props):
        value = props[key].strip()
        if key in _SAME_NAME:
            settings[key] = value
        elif key in _RENAMED:
            settings[_RENAMED[key]] = value
        elif key in _CONSUMED or is_registry_key(key):
            continue
        elif key == "sasl.jaas.config":
            module, options = parse_jaas(value)
            if module not in _LOGIN_MODULES:
                warnings.append(
                    f"sasl.jaas.config login module {module} is not supported "
                    "(only PLAIN and SCRAM); set librdkafka's sasl.* keys with -X"
                )
                continue
            for option in ("username", "password"):
                if option not in options:
                    raise ConfigError(f"sasl.jaas.config has no {option}")
            settings["sasl.username"] = options["username"]
            settings["sasl.password"] = options["password"]
        elif key == "ssl.truststore.location":
            kind = props.get("ssl.truststore.type", "JKS").strip().upper()
            if kind == "PEM":
                settings["ssl.ca.location"] = value
            else:
                warnings.append(
                    f"ssl.truststore.location of type {kind} cannot be read by librdkafka; "
                    "convert it to PEM and set ssl.truststore.type=PEM (or -X ssl.ca.location=...)"
                )
        else:
            unknown.append(key)
    kind = props.get("ssl.keystore.type", "").strip().upper()
    if "ssl.keystore.location" in settings and kind not in ("", "PKCS12"):
        del settings["ssl.keystore.location"]
        warnings.append(
            f"ssl.keystore.location of type {kind} cannot be read by librdkafka; "
            "use a PKCS12 keystore"
        )
    if unknown:
        warnings.append("ignored properties not understood: " + ", ".join(unknown))
    return settings, warnings


def parse_override(text: str) -> tuple[str, str]:
    """Split one ``-X key=value`` argument."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        shown = key if key else "(empty)"
        raise ConfigError(f"-X expects key=value, got {shown!r} without '='")
    return key, value


def build_client_config(
    bootstrap: str | None = None,
    command_config: str | os.PathLike[str] | None = None,
    overrides: Sequence[str] | Iterable[tuple[str, str]] = (),
    *,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Build librdkafka settings from the three sources, later ones winning:

    1. the ``--command-config`` properties file (translated),
    2. ``bootstrap`` (``-b``) or else ``$KAFKA_BOOTSTRAP_SERVERS``,
    3. ``-X key=value`` overrides, passed through unchanged.

    Raises :class:`ConfigError` when the file cannot be read or no bootstrap
    address is known.
    """
    env = os.environ if environ is None else environ
    settings: dict[str, str] = {}
    warnings: list[str] = []
    if command_config is not None:
        path = Path(command_config)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(
                f"cannot read --command-config {path}: {e.strerror or e.__class__.__name__}"
            ) from e
        translated, notes = translate_properties(parse_properties(text))
        settings.update(translated)
        warnings.extend(f"{path.name}: {note}" for note in notes)
    address = (bootstrap or "").strip() or env.get(BOOTSTRAP_ENV, "").strip()
    if address:
        settings["bootstrap.servers"] = address
    for item in overrides:
        key, value = parse_override(item) if isinstance(item, str) else item
        settings[key] = value
    if not settings.get("bootstrap.servers", "").strip():
        raise ConfigError(f"no bootstrap server: pass -b/--bootstrap-server or set {BOOTSTRAP_ENV}")
    _refuse_credentials_in_address(settings["bootstrap.servers"])
    remember_secrets(settings)
    return ClientConfig(settings=dict(sorted(settings.items())), warnings=tuple(warnings))
