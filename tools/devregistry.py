"""A real, local Confluent-compatible Schema Registry for the tests and the demo.

Apicurio Registry 2.4.2.Final serves the Confluent Schema Registry API at
``/apis/ccompat/v7``. ``tools/registry/`` is a small Maven project that repackages
it from Maven Central artifacts with the Quarkus Maven plugin; this module builds
that project into a cache folder outside the repo (rebuilt only when the project's
files change) and runs it on loopback, on a free port, with in-memory storage and
a modest JVM heap. The global compatibility rule is BACKWARD, Confluent's default.

With ``basic_auth=True`` (``start --basic-auth``) every request but the health checks
needs HTTP basic auth as one of :data:`USERS` (Quarkus' embedded realm and a policy of
our own, see ``tools/registry/src``: Apicurio 2.4.2's own authentication needs an OIDC
server); a missing or wrong password gets 401.

Command line::

    python -m tools.devregistry build                  # build and cache; prints the app folder
    python -m tools.devregistry start [--basic-auth]   # in the background; prints the URL
    python -m tools.devregistry status
    python -m tools.devregistry stop
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferrer.errors import LauncherError
from tools.devkafka import (
    START_ATTEMPTS,
    Launched,
    PortClash,
    _alive,
    _die_with_parent,
    _java,
    _terminate,
    exit_error,
    free_port,
    guarded,
    lifecycle_command,
    log_tail,
    tail,
)

REGISTRY_VERSION = "2.4.2.Final"
CCOMPAT_PATH = "/apis/ccompat/v7"
JVM_FLAGS = ("-Xmx384m", "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
GLOBAL_COMPATIBILITY = "BACKWARD"
WORKDIR_PREFIX = "inferrer-registry-"

# Users of a registry started with basic_auth=True. Throwaway local credentials for a
# registry on loopback; they are written to its private config file, never to a
# command line, a document or a log.
USERS: dict[str, str] = {"alice": "alice-secret", "bob": "bob-secret"}

# The Maven project that repackages Apicurio; its files are the cache key.
PROJECT_DIR = Path(__file__).resolve().parent / "registry"


def cache_root() -> Path:
    """Where builds live: ``$INFERRER_CACHE/registry/<version>`` (default ``~/.cache/inferrer``)."""
    root = os.environ.get("INFERRER_CACHE") or str(Path.home() / ".cache" / "inferrer")
    return Path(root) / "registry" / REGISTRY_VERSION


def state_file() -> Path:
    """Where ``devregistry start`` records the running registry for ``status`` and ``stop``.

    ``$INFERRER_DEVREGISTRY_STATE`` overrides it.
    """
    override = os.environ.get("INFERRER_DEVREGISTRY_STATE")
    if override:
        return Path(override)
    return cache_root().parent.parent / "devregistry-state.json"


def _project_files() -> list[Path]:
    return sorted(
        p
        for p in PROJECT_DIR.rglob("*")
        if p.is_file() and "target" not in p.relative_to(PROJECT_DIR).parts
    )


def project_hash() -> str:
    """A digest of the Maven project (pom, sources, Maven config): the build's cache key."""
    digest = hashlib.sha256()
    for path in _project_files():
        digest.update(path.relative_to(PROJECT_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def app_dir() -> Path:
    """The Quarkus fast-jar folder of the current build (it may not exist yet)."""
    return cache_root() / project_hash() / "quarkus-app"


# Builds unused for this long are removed after a new build. Not sooner: other
# checkouts (worktrees, branches) share the cache and may run an older build.
STALE_BUILD_SECONDS = 14 * 24 * 3600


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """One build at a time per cache, across processes (a second waits, then reuses)."""
    cache_root().mkdir(parents=True, exist_ok=True)
    with open(cache_root() / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_built(quiet: bool = False) -> Path:
    """Build the registry with Maven unless a build of the same project files is cached;
    return the folder holding ``quarkus-run.jar``.

    Each use marks the build as used; builds unused for two weeks are removed after a
    new build.
    """
    key = project_hash()
    home = cache_root() / key
    app = home / "quarkus-app"
    marker = home / ".complete"
    if marker.exists() and (app / "quarkus-run.jar").exists():
        marker.touch()
        return app
    with _build_lock():
        if marker.exists() and (app / "quarkus-run.jar").exists():
            return app
        _build(key, home, quiet)
    return app


def _build(key: str, home: Path, quiet: bool) -> None:
    app = home / "quarkus-app"
    marker = home / ".complete"
    if shutil.which("mvn") is None:
        raise LauncherError("Maven (mvn) is not on PATH; it is needed to build the registry")
    staging = cache_root() / f"{key}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(PROJECT_DIR, staging, ignore=shutil.ignore_patterns("target"))
    if not quiet:
        print(
            f"building Apicurio Registry {REGISTRY_VERSION} with Maven (a few minutes the "
            "first time) ...",
            file=sys.stderr,
        )
    # Run from the project folder so Maven reads its .mvn/maven.config.
    proc = subprocess.run(
        ["mvn", "-B", "-q", "package"],
        cwd=staging,
        capture_output=True,
        text=True,
        check=False,
    )
    built = staging / "target" / "quarkus-app"
    if proc.returncode != 0 or not (built / "quarkus-run.jar").exists():
        log = staging / "maven.log"
        log.write_text(proc.stdout + proc.stderr)
        raise LauncherError(
            f"Maven could not build the registry (exit {proc.returncode}); full log in {log}:\n"
            + tail(proc.stdout + proc.stderr)
        )
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    built.rename(app)
    shutil.rmtree(staging, ignore_errors=True)
    marker.write_text(f"{REGISTRY_VERSION} {key}\n")
    for other in cache_root().glob("*/.complete"):
        if time.time() - other.stat().st_mtime > STALE_BUILD_SECONDS:
            shutil.rmtree(other.parent, ignore_errors=True)


@dataclass
class Registry:
    """A running local registry: its Confluent-compatible base URL, process and folder."""

    url: str
    port: int
    pid: int
    workdir: str
    basic_auth: bool = False
    startup_seconds: float = 0.0
    users: dict[str, str] = field(default_factory=dict)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def client_config(self, user: str | None = None) -> dict[str, str]:
        """``SchemaRegistryClient`` settings for this registry, as ``user`` if given."""
        conf = {"url": self.url}
        if user is not None:
            conf["basic.auth.user.info"] = f"{user}:{self.users[user]}"
        return conf

    @property
    def base_url(self) -> str:
        """The server root, e.g. for ``/health/ready`` or Apicurio's own API."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the JVM (TERM, then KILL after ``timeout``) and remove its folder."""
        _terminate(self.pid, self._proc, timeout)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def to_state(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "port": self.port,
            "pid": self.pid,
            "workdir": self.workdir,
            "basic_auth": self.basic_auth,
            "startup_seconds": self.startup_seconds,
        }


def _is_ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/health/ready", timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def sweep_stale_workdirs() -> list[Path]:
    """Remove folders of registries whose JVM is gone (a run killed with SIGKILL cannot
    clean up after itself). Returns what was removed."""
    removed: list[Path] = []
    for folder in Path(tempfile.gettempdir()).glob(WORKDIR_PREFIX + "*"):
        try:
            pid = int((folder / "jvm.pid").read_text())
        except (OSError, ValueError):
            if time.time() - folder.stat().st_mtime < 600:
                continue
            pid = -1
        if pid > 0 and _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _auth_config(users: dict[str, str]) -> str:
    lines = ["inferrer.registry.require-auth=true"]
    lines += [f"quarkus.security.users.embedded.users.{u}={p}" for u, p in sorted(users.items())]
    return "\n".join(lines) + "\n"


def start(*, basic_auth: bool = False, timeout: float = 120.0, detach: bool = False) -> Registry:
    """Start the registry on a free loopback port and wait until ``/health/ready`` says UP.

    ``basic_auth=True`` demands HTTP basic auth as one of :data:`USERS`.

    ``detach=False`` ties the JVM to this process (it is killed if we die), as the test
    fixture wants; ``detach=True`` lets it outlive us, for ``devregistry start``.
    """
    app = ensure_built()
    sweep_stale_workdirs()
    began = time.monotonic()
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return _start_once(app, basic_auth, timeout, detach, began)
        except PortClash:
            if attempt == START_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _start_once(
    app: Path, basic_auth: bool, timeout: float, detach: bool, began: float
) -> Registry:
    workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
    port = free_port()
    log = workdir / "registry.log"
    if basic_auth:
        # Quarkus reads config/application.properties under its working directory.
        config = workdir / "config" / "application.properties"
        config.parent.mkdir()
        config.touch(mode=0o600)
        config.write_text(_auth_config(USERS))
    env = dict(os.environ)
    # Apicurio reads its port from HTTP_PORT (its %prod profile overrides a plain
    # -Dquarkus.http.port); the host is Quarkus' own setting, 0.0.0.0 unless told.
    env["HTTP_PORT"] = str(port)
    env["QUARKUS_HTTP_HOST"] = "127.0.0.1"
    cmd = [
        _java(),
        *JVM_FLAGS,
        "-Djava.awt.headless=true",
        f"-Djava.io.tmpdir={workdir}",
        "-Dquarkus.http.host=127.0.0.1",
        f"-Dregistry.rules.global.compatibility={GLOBAL_COMPATIBILITY}",
        "-jar",
        str(app / "quarkus-run.jar"),
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            env=env,
            preexec_fn=os.setsid if detach else _die_with_parent,
        )
    (workdir / "jvm.pid").write_text(f"{proc.pid}\n")
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _is_ready(base_url):
            if proc.poll() is not None:
                raise exit_error("registry", proc.returncode, log, (port,))
            if time.monotonic() > deadline:
                raise LauncherError(
                    f"the registry was not ready within {timeout:.0f}s; last lines of {log}:\n"
                    + log_tail(log)
                )
            time.sleep(0.25)
    except BaseException:
        _terminate(proc.pid, proc, 10)
        if not detach:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Registry(
        url=base_url + CCOMPAT_PATH,
        port=port,
        pid=proc.pid,
        workdir=str(workdir),
        basic_auth=basic_auth,
        startup_seconds=round(time.monotonic() - began, 2),
        users=dict(USERS) if basic_auth else {},
        _proc=proc,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.devregistry",
        description=f"Run a local Confluent-compatible Schema Registry (Apicurio Registry "
        f"{REGISTRY_VERSION}, in memory, loopback) for inferrer's tests and demo.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build and cache the registry with Maven, then exit")
    p_start = sub.add_parser("start", help="start a registry in the background; print its URL")
    p_start.add_argument(
        "--basic-auth", action="store_true", help="require HTTP basic auth (users: alice, bob)"
    )
    p_start.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for ready")
    sub.add_parser("stop", help="stop the registry started by `start` (its schemas are lost)")
    sub.add_parser("status", help="say whether the registry started by `start` is running")
    args = parser.parse_args(argv)

    def launch() -> Launched:
        registry = start(basic_auth=args.basic_auth, timeout=args.timeout, detach=True)
        ready = f"Apicurio Registry {REGISTRY_VERSION} ready in {registry.startup_seconds:.1f}s"
        return Launched(registry.to_state(), registry.url, ready)

    def running(state: Mapping[str, Any]) -> str:
        auth = ", basic auth" if state.get("basic_auth") else ""
        return f"{state['url']} (pid {state['pid']}{auth})"

    def run() -> int:
        if args.command == "build":
            print(ensure_built())
            return 0
        return lifecycle_command(args.command, state_file(), "url", launch, running)

    return guarded(run)


if __name__ == "__main__":
    sys.exit(main())
