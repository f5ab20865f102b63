"""Client config: properties parsing and translation, -X overrides, secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferrer.errors import ConfigError
from inferrer.kafka.config import (
    build_client_config,
    mask_config,
    parse_jaas,
    parse_properties,
    render_config,
    translate_properties,
)

PLAIN_JAAS = (
    "org.apache.kafka.common.security.plain.PlainLoginModule required "
    'username="alice" password="alice-secret";'
)


def test_parse_properties_syntax() -> None:
    text = (
        "# comment\n"
        "! another comment\n"
        "\n"
        "a=1\n"
        "b : two\n"
        "c three\n"
        "  d=spaced  \n"
        "e=first \\\n"
        "    second\n"
        "f=back\\\\slash\n"
        "g=\\u0041\\tz\n"
        "key\\=with\\:sep=v\n"
        "empty=\n"
    )
    assert parse_properties(text) == {
        "a": "1",
        "b": "two",
        "c": "three",
        "d": "spaced  ",
        "e": "first second",
        "f": "back\\slash",
        "g": "A\tz",
        "key=with:sep": "v",
        "empty": "",
    }


def test_jaas_plain_and_scram() -> None:
    assert parse_jaas(PLAIN_JAAS) == (
        "org.apache.kafka.common.security.plain.PlainLoginModule",
        {"username": "alice", "password": "alice-secret"},
    )
    module, options = parse_jaas(
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username=bob password="p\\"w;d" ;'
    )
    assert module.endswith("ScramLoginModule")
    assert options == {"username": "bob", "password": 'p"w;d'}


def test_malformed_jaas_never_quotes_the_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_jaas('password="hunter2"')
    assert "hunter2" not in str(info.value)
    assert str(info.value) == (
        "sasl.jaas.config is not of the form '<LoginModule> required key=\"value\" ...;'"
    )


def test_translate_sasl_and_ssl() -> None:
    settings, warnings = translate_properties(
        {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.jaas.config": PLAIN_JAAS,
            "ssl.truststore.location": "/etc/ca.pem",
            "ssl.truststore.type": "PEM",
            "ssl.keystore.location": "/etc/client.p12",
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.password": "ks-secret",
            "ssl.endpoint.identification.algorithm": "https",
            "client.id": "me",
        }
    )
    assert settings == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "alice",
        "sasl.password": "alice-secret",
        "ssl.ca.location": "/etc/ca.pem",
        "ssl.keystore.location": "/etc/client.p12",
        "ssl.keystore.password": "ks-secret",
        "ssl.endpoint.identification.algorithm": "https",
        "client.id": "me",
    }
    assert warnings == []


def test_unknown_and_unusable_keys_are_named_never_valued() -> None:
    settings, warnings = translate_properties(
        {
            "security.protocol": "SSL",
            "ssl.truststore.location": "/etc/truststore.jks",
            "ssl.truststore.password": "trust-secret",
            "request.timeout.ms": "30000",
            "interceptor.classes": "com.example.Secretive",
            "sasl.jaas.config": "com.sun.security.auth.module.Krb5LoginModule required "
            'keyTab="/k" principal="p@R";',
        }
    )
    assert settings == {"security.protocol": "SSL"}
    assert warnings == [
        "sasl.jaas.config login module com.sun.security.auth.module.Krb5LoginModule is not "
        "supported (only PLAIN and SCRAM); set librdkafka's sasl.* keys with -X",
        "ssl.truststore.location of type JKS cannot be read by librdkafka; convert it to PEM "
        "and set ssl.truststore.type=PEM (or -X ssl.ca.location=...)",
        "ignored properties not understood: interceptor.classes, request.timeout.ms",
    ]
    joined = " ".join(warnings)
    for value in ("trust-secret", "30000", "com.example.Secretive", "/etc/truststore.jks"):
        assert value not in joined


def test_build_precedence_file_then_flag_then_x(tmp_path: Path) -> None:
    props = tmp_path / "client.properties"
    props.write_text(
        "bootstrap.servers=file:9092\n"
        "security.protocol=SASL_PLAINTEXT\n"
        "sasl.mechanism=PLAIN\n"
        f"sasl.jaas.config={PLAIN_JAAS}\n"
        "linger.ms=5\n"
    )
    config = build_client_config(
        "flag:9092", props, ["sasl.username=bob", "fetch.min.bytes=1"], environ={}
    )
    assert dict(config.settings) == {
        "bootstrap.servers": "flag:9092",
        "fetch.min.bytes": "1",
        "sasl.mechanisms": "PLAIN",
        "sasl.password": "alice-secret",
        "sasl.username": "bob",
        "security.protocol": "SASL_PLAINTEXT",
    }
    assert config.warnings == ("client.properties: ignored properties not understood: linger.ms",)
    assert config.bootstrap == "flag:9092"
    only_file = build_client_config(None, props, environ={})
    assert only_file.bootstrap == "file:9092"
    x_wins = build_client_config("flag:1", None, ["bootstrap.servers=x:2"], environ={})
    assert x_wins.bootstrap == "x:2"


def test_bootstrap_from_environment() -> None:
    config = build_client_config(None, environ={"KAFKA_BOOTSTRAP_SERVERS": "env:9092"})
    assert config.bootstrap == "env:9092"
    assert build_client_config(
        "flag:1", environ={"KAFKA_BOOTSTRAP_SERVERS": "env:9"}
    ).bootstrap == ("flag:1")


def test_missing_bootstrap_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        build_client_config(None, environ={})
    assert str(info.value) == (
        "no bootstrap server: pass -b/--bootstrap-server or set KAFKA_BOOTSTRAP_SERVERS"
    )
    assert info.value.exit_code == 2


def test_unreadable_properties_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.properties"
    with pytest.raises(ConfigError) as info:
        build_client_config("b:1", missing, environ={})
    assert str(info.value) == f"cannot read --command-config {missing}: No such file or directory"


def test_bad_override_names_key_only() -> None:
    with pytest.raises(ConfigError) as info:
        build_client_config("b:1", overrides=["sasl.password"], environ={})
    assert str(info.value) == "-X expects key=value, got 'sasl.password' without '='"


def test_masking() -> None:
    settings = {
        "bootstrap.servers": "b:1",
        "sasl.password": "pw",
        "sasl.username": "alice",
        "ssl.key.password": "kp",
        "sasl.oauthbearer.client.secret": "cs",
        "my.custom.token": "tok",
    }
    assert mask_config(settings) == {
        "bootstrap.servers": "b:1",
        "my.custom.token": "******",
        "sasl.oauthbearer.client.secret": "******",
        "sasl.password": "******",
        "sasl.username": "alice",
        "ssl.key.password": "******",
    }
    rendered = render_config(settings)
    assert rendered.splitlines()[0] == "bootstrap.servers=b:1"
    for secret in ("pw", "kp", "cs", "tok"):
        assert f"={secret}" not in rendered
    config = build_client_config("b:1", overrides=["sasl.password=pw"], environ={})
    assert config.masked()["sasl.password"] == "******"
    assert "pw" not in repr(config.masked())


def test_redact_replaces_secret_values_in_messages() -> None:
    from inferrer.kafka.config import redact

    settings = {"sasl.password": "hunter22", "sasl.username": "alice", "ssl.key.password": ""}
    text = 'Invalid value "hunter22" for property; user alice'
    assert redact(text, settings) == 'Invalid value "******" for property; user alice'
