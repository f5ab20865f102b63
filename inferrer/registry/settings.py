"""Where the Schema Registry is and how to log in, from the sources Confluent's tools use.

Three sources, later ones winning, as for the Kafka client:

1. the ``--command-config`` properties file: ``schema.registry.url``,
   ``basic.auth.credentials.source`` (``USER_INFO`` or ``URL``),
   ``basic.auth.user.info`` (also ``schema.registry.basic.auth.user.info``) and the
   ``schema.registry.ssl.*`` keys (PEM files: ``ssl.ca.location``,
   ``ssl.certificate.location``, ``ssl.key.location``, or a truststore/keystore of type
   PEM);
2. ``$SCHEMA_REGISTRY_URL``;
3. ``--schema-registry URL``.

Credentials in a URL (``https://user:secret@host``) are taken out of it: the settings
keep the bare address, and the user info is a secret, never shown or written
(:func:`inferrer.kafka.config.remember_secrets` learns it, so redaction masks it).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from inferrer.errors import ConfigError
from inferrer.kafka.config import parse_properties, remember_secrets

REGISTRY_ENV: Final = "SCHEMA_REGISTRY_URL"
DEFAULT_TIMEOUT: Final = 10.0

_USER_INFO_KEYS: Final = ("basic.auth.user.info", "schema.registry.basic.auth.user.info")
_SOURCE_KEYS: Final = (
    "basic.auth.credentials.source",
    "schema.registry.basic.auth.credentials.source",
)
_SSL_KEYS: Final[Mapping[str, str]] = {
    "schema.registry.ssl.ca.location": "ca",
    "schema.registry.ssl.certificate.location": "certificate",
    "schema.registry.ssl.key.location": "key",
    "schema.registry.ssl.key.password": "key_password",
}


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    """How to reach one Schema Registry (its addresses, tried in order)."""

    urls: tuple[str, ...]
    """Base addresses without credentials or a trailing slash."""
    user_info: str | None = field(default=None, repr=False)
    """``user:password`` for HTTP basic auth; a secret."""
    ca_location: str | None = None
    certificate_location: str | None = None
    key_location: str | None = None
    key_password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def shown(self) -> str:
        """The first address, safe to print."""
        return self.urls[0]


def _split_url(url: str) -> tuple[str, str | None]:
    """(the address without credentials, the ``user:password`` it carried)."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = parts.scheme + "://" + (parts.hostname or "") if parts.scheme else "(no scheme)"
        raise ConfigError(
            f"the Schema Registry address must be an http:// or https:// URL, got {shown}"
        )
    user_info = None
    netloc = parts.netloc
    if "@" in netloc:
        creds, _, netloc = netloc.rpartition("@")
        user_info = urllib.parse.unquote(creds)
    path = parts.path.rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, "", "")), user_info


def _first(props: Mapping[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = props.get(key, "").strip()
        if value:
            return value
    return None


def _ssl_from(props: Mapping[str, str]) -> dict[str, str]:
    found = {name: props[key].strip() for key, name in _SSL_KEYS.items() if props.get(key)}
    for java, name in (
        ("schema.registry.ssl.truststore", "ca"),
        ("schema.registry.ssl.keystore", "certificate"),
    ):
        location = props.get(java + ".location", "").strip()
        if not location:
            continue
        kind = props.get(java + ".type", "JKS").strip().upper()
        if kind != "PEM":
            raise ConfigError(
                f"{java}.location of type {kind} cannot be read; convert it to PEM and "
                f"set {java}.type=PEM (or schema.registry.ssl.{name}.location)"
            )
        found.setdefault(name, location)
    return found


def registry_settings(
    url: str | None = None,
    command_config: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RegistrySettings | None:
    """The registry settings from the three sources, or None when none names a registry.

    Raises :class:`ConfigError` for an address that is not an http(s) URL, an
    unreadable properties file or an unknown credentials source.
    """
    env = os.environ if environ is None else environ
    props: dict[str, str] = {}
    if command_config is not None:
        path = Path(command_config)
        try:
            props = parse_properties(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(
                f"cannot read --command-config {path}: {e.strerror or e.__class__.__name__}"
            ) from e
    address = (url or "").strip() or env.get(REGISTRY_ENV, "").strip()
    address = address or props.get("schema.registry.url", "").strip()
    if not address:
        return None
    urls: list[str] = []
    from_url: str | None = None
    for one in address.split(","):
        if one.strip():
            bare, creds = _split_url(one)
            urls.append(bare)
            from_url = from_url or creds
    source = (_first(props, _SOURCE_KEYS) or "").upper()
    if source not in ("", "USER_INFO", "URL"):
        raise ConfigError(
            f"basic.auth.credentials.source {source} is not supported (USER_INFO or URL)"
        )
    user_info = from_url if source == "URL" else (_first(props, _USER_INFO_KEYS) or from_url)
    if user_info is not None and ":" not in user_info:
        raise ConfigError("basic.auth.user.info must be user:password")
    ssl = _ssl_from(props)
    secrets = {
        "basic.auth.user.info": user_info or "",
        "basic.auth.password": (user_info or "").partition(":")[2],
        "ssl.key.password": "",
    }
    if "key_password" in ssl:
        secrets["ssl.key.password"] = ssl["key_password"]
    remember_secrets(secrets)
    return RegistrySettings(
        urls=tuple(urls),
        user_info=user_info,
        ca_location=ssl.get("ca"),
        certificate_location=ssl.get("certificate"),
        key_location=ssl.get("key"),
        key_password=ssl.get("key_password"),
        timeout=timeout,
    )
