"""Start and stop a throw-away PostgreSQL server, for the journal's tests and benchmark.

    with PgServer.start() as server:
        url = server.create_database("journal_test")   # postgresql://postgres@127.0.0.1:PORT/...
        ...

The server lives in a fresh temporary directory (data directory, Unix socket, log file), listens
on 127.0.0.1 on a free port, trusts every local connection, and is stopped and deleted by
`stop()` (or at interpreter exit, should a caller forget). Binaries are found with a glob of
``/usr/lib/postgresql/*/bin`` (Debian's layout; the newest version wins), then ``$PG_BINDIR``,
then ``PATH``. When none is found, `PgNotFoundError` tells to run ``scripts/setup.sh``.

PostgreSQL refuses to run as root, so when this process is root the server's programs run as the
``postgres`` system user (created by Debian's package; created here with ``useradd`` if missing)
and the temporary directory is handed to that user.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

__all__ = ["PgNotFoundError", "PgServer", "find_bindir"]

SUPERUSER = "postgres"
SYSTEM_USER = "postgres"


class PgNotFoundError(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed."""


def _version_key(bindir: str) -> tuple[int, ...]:
    version = Path(bindir).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl; raise `PgNotFoundError` when there is none."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    env = os.environ.get("PG_BINDIR")
    if env:
        candidates.insert(0, env)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        bindir = Path(candidate)
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PgNotFoundError(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin, $PG_BINDIR "
        "and PATH). Install them with `bash scripts/setup.sh` (Debian package `postgresql`)."
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _system_user() -> pwd.struct_passwd | None:
    """The user the server runs as: None for "this process's user", else the postgres user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/bin/false", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _traversable_tmp() -> str:
    """The temporary folder, if every user can reach into it, else /tmp (TMPDIR may point
    into root's private folders, where the postgres user could not reach its directory)."""
    tmp = Path(tempfile.gettempdir()).resolve()
    if all(folder.stat().st_mode & 0o001 for folder in (tmp, *tmp.parents)):
        return str(tmp)
    return "/tmp"


class PgServer:
    """One running PostgreSQL server in a temporary directory; see the module docstring."""

    def __init__(
        self,
        bindir: Path,
        base: Path,
        port: int,
        user: pwd.struct_passwd | None,
        *,
        durable: bool = True,
    ) -> None:
        self.bindir = bindir
        self.durable = durable
        self.base = base
        self.port = port
        self.host = "127.0.0.1"
        self._user = user
        self.running = False
        self._databases = 0

    # ---- paths and addresses -------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        return self.base / "data"

    @property
    def logfile(self) -> Path:
        return self.base / "server.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    # ---- life cycle ------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        *,
        port: int | None = None,
        base_dir: str | Path | None = None,
        durable: bool = True,
    ) -> PgServer:
        """initdb into a new temporary directory and start the server; return it running.

        `durable=False` turns fsync off (tests: much faster CREATE DATABASE and shutdown; data
        still survives a server stop and start, not a power loss). Benchmarks keep it on."""
        bindir = find_bindir()
        user = _system_user()
        if user is not None and base_dir is None:
            base_dir = _traversable_tmp()
        base = Path(tempfile.mkdtemp(prefix="flowc-pg-", dir=base_dir))
        if user is not None:
            os.chown(base, user.pw_uid, user.pw_gid)
        server = cls(bindir, base, port or free_port(), user, durable=durable)
        try:
            server._run(
                [
                    "initdb",
                    "-D",
                    str(server.datadir),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            )
            server._start(retry_ports=port is None)
        except BaseException:
            server._remove()
            raise
        atexit.register(server.stop)
        return server

    def _start(self, *, retry_ports: bool = False) -> None:
        for attempt in range(5):
            options = f"-k {self.base} -h {self.host} -p {self.port}"
            if not self.durable:
                options += " -c fsync=off -c full_page_writes=off"
            result = self._run(
                [
                    "pg_ctl",
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.logfile),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                ],
                check=False,
            )
            if result.returncode == 0:
                self.running = True
                return
            if not retry_ports or attempt == 4:
                raise RuntimeError(
                    f"pg_ctl start failed ({result.returncode}): {result.stdout}{result.stderr}\n"
                    f"server log:\n{self._log_tail()}"
                )
            self.port = free_port()  # someone took the port between free_port() and start
            time.sleep(0.1)

    def restart(self) -> None:
        """Start a stopped server again, on the same port."""
        if not self.running:
            self._start()

    def pause(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected) but keep its data."""
        if self.running:
            self._run(["pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop"])
            self.running = False

    def kill(self) -> None:
        """Stop the server the hard way (immediate shutdown: no checkpoint, clients cut off,
        as in a crash), keeping its data; `restart()` recovers it."""
        if self.running:
            self._run(["pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop"])
            self.running = False

    def stop(self) -> None:
        """Stop the server and delete its directory. Safe to call more than once."""
        with contextlib.suppress(Exception):
            self.pause()
        if not self.running:
            self._remove()
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def _remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- databases -------------------------------------------------------------------------
    def create_database(self, name: str | None = None) -> str:
        """Create a database (a fresh unique name by default) and return its URL."""
        if name is None:
            self._databases += 1
            name = f"journal_{os.getpid()}_{self._databases}"
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        self._run(
            ["createdb", "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, name],
        )
        return self.url(name)

    # ---- helpers ---------------------------------------------------------------------------
    def _run(self, argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        program = str(self.bindir / argv[0])
        env = dict(os.environ)
        if self._user is not None:
            env["HOME"] = str(self.base)
            env["USER"] = env["LOGNAME"] = self._user.pw_name
        result = subprocess.run(
            [program, *argv[1:]],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.base,
            user=self._user.pw_uid if self._user is not None else None,
            group=self._user.pw_gid if self._user is not None else None,
            extra_groups=[] if self._user is not None else None,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{argv[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@contextlib.contextmanager
def running_server(*, durable: bool = True) -> Iterator[PgServer]:
    """`with running_server() as server:` start a server, stop and delete it afterwards."""
    server = PgServer.start(durable=durable)
    try:
        yield server
    finally:
        server.stop()
