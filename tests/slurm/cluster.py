"""A real single-node SLURM on localhost for tests, from Debian's packages.

munged, slurmctld, slurmd and (with accounting) mariadbd and slurmdbd all run as children of
the test, in the foreground, with every file under one folder; each is stopped by the PID it
was started with. Client commands, and the plugin's nested ``srun`` (whose environment loses
``SLURM_CONF``), read ``/etc/slurm/slurm.conf``: a copy is put there for the cluster's
lifetime, and only where no other SLURM configuration is.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
CLIENT_CONF = Path("/etc/slurm/slurm.conf")
MARKER = "# mirlab test cluster:"
NODE = "mirlab0"
ACCOUNT = "mirlab"

# Debian package -> the programs of it that are used here.
PACKAGES = {
    "munge": ["munged", "munge"],
    "slurmctld": ["slurmctld"],
    "slurmd": ["slurmd", "slurmstepd"],
    "slurm-client": ["sbatch", "srun", "squeue", "scontrol", "sinfo", "scancel", "sacct"],
}
ACCOUNTING_PACKAGES = {
    "slurmdbd": ["slurmdbd", "sacctmgr"],
    "mariadb-server": ["mariadbd", "mariadb-install-db"],
}


def packages(accounting: bool) -> dict[str, list[str]]:
    return PACKAGES | (ACCOUNTING_PACKAGES if accounting else {})


def which(program: str) -> str | None:
    return shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin:/usr/bin")


def unavailable(accounting: bool) -> str | None:
    """Why this machine cannot run the cluster; None where it can."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "a real SLURM cluster on localhost needs root (its daemons run as root)"
    missing = sorted(
        name
        for name, programs in packages(accounting).items()
        if not all(which(program) for program in programs)
    )
    if missing:
        return (
            f"Debian packages not installed: {' '.join(missing)} (.ci/run installs them "
            f"as root: apt-get install {' '.join(packages(accounting))})"
        )
    if CLIENT_CONF.exists():
        first = CLIENT_CONF.read_text().partition("\n")[0]
        if not first.startswith(MARKER):
            return f"{CLIENT_CONF} belongs to a real SLURM installation; not touching it"
        other = Path(first.removeprefix(MARKER).strip())
        if pid_alive(other / "run" / "slurmctld.pid"):
            return f"another test cluster is running ({other}); one at a time"
    return None


def pid_alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float, logs: list[Path] = (), interval: float = 0.2):
    """Call ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            tails = "".join(
                f"\n--- {log} ---\n{log.read_text(errors='replace')[-3000:]}"
                for log in logs
                if log.exists()
            )
            raise TimeoutError(f"{what}: not within {timeout:.0f} s{tails}")
        time.sleep(interval)


@dataclass
class Daemon:
    name: str
    process: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Cluster:
    """``with Cluster(folder, accounting=...) as cluster:`` a running cluster, stopped after."""

    root: Path
    accounting: bool = False
    start_timeout: float = 60.0
    daemons: list[Daemon] = field(default_factory=list)
    host: str = field(default_factory=lambda: socket.gethostname().split(".")[0])

    # --- paths -------------------------------------------------------------------------------

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        return self.root / "munge" / "munge.socket.2"

    def log(self, name: str) -> Path:
        return self.root / "log" / f"{name}.log"

    # --- client commands ---------------------------------------------------------------------

    def command(self, *argv: str, check: bool = True, timeout: float = 30) -> str:
        """Run a client command (sinfo, squeue, sacctmgr, ...) and return its stdout."""
        result = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, env=self.client_env()
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def ok(self, *argv: str) -> bool:
        """Whether a client command succeeds (a daemon answers)."""
        try:
            done = subprocess.run(
                list(argv), capture_output=True, timeout=10, env=self.client_env()
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def client_env(self) -> dict:
        # Client commands read /etc/slurm/slurm.conf, as they do on a site's login node.
        return {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}

    def jobs(self) -> list[dict]:
        """Every job slurmctld still knows (MinJobAge: 5 minutes after it ends), as the
        key=value fields of ``scontrol show job -o``."""
        out = self.command("scontrol", "show", "job", "-o", "--details")
        jobs = []
        for line in out.splitlines():
            if not line.startswith("JobId="):
                continue
            fields = {}
            for item in line.split():
                key, _, value = item.partition("=")
                fields.setdefault(key, value)
            jobs.append(fields)
        return jobs

    def sacct(self, *fields: str) -> list[dict]:
        """Allocations (no steps) that slurmdbd recorded, with the given ``--format`` fields."""
        out = self.command(
            "sacct", "-a", "-X", "-P", "-n", "-S", "now-1days", f"--format={','.join(fields)}"
        )
        return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]

    # --- start / stop ------------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def spawn(self, name: str, argv: list[str], env: dict | None = None) -> Daemon:
        log = self.log(f"{name}.stdout")
        with open(log, "ab") as out:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                start_new_session=True,  # a Ctrl-C in the test's terminal does not reach it
            )
        daemon = Daemon(name, process, log)
        self.daemons.append(daemon)
        return daemon

    def running(self, daemon: Daemon, check) -> bool:
        """``check()``, or an error with the daemon's logs if it has exited."""
        if not daemon.alive():
            logs = [daemon.log, self.log(daemon.name)]
            raise RuntimeError(
                f"{daemon.name} exited ({daemon.process.returncode}):"
                + "".join(
                    f"\n--- {log} ---\n{log.read_text(errors='replace')[-3000:]}"
                    for log in logs
                    if log.exists()
                )
            )
        return check()

    def start(self) -> None:
        for sub in ("etc", "log", "run", "state", "spool", "munge", "db"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        ports = {"ctld_port": free_port(), "slurmd_port": free_port(), "dbd_port": free_port()}
        values = {
            "root": str(self.root),
            "host": self.host,
            "node": NODE,
            "munge_socket": str(self.munge_socket),
            "mysql_port": free_port(),
            **ports,
        }
        if self.accounting:
            values["accounting"] = "\n".join(
                [
                    "AccountingStorageType=accounting_storage/slurmdbd",
                    "AccountingStorageHost=localhost",
                    f"AccountingStoragePort={ports['dbd_port']}",
                    # slurmctld and the clients reach slurmdbd through this munge socket
                    # (the default one otherwise).
                    f"AccountingStoragePass={self.munge_socket}",
                    "AccountingStorageTRES=gres/gpu",
                ]
            )
        else:
            values["accounting"] = "AccountingStorageType=accounting_storage/none"
        for name in ("slurm.conf", "gres.conf", "slurmdbd.conf"):
            text = Template((HERE / f"{name}.in").read_text()).substitute(values)
            (self.root / "etc" / name).write_text(text)
        (self.root / "etc" / "slurmdbd.conf").chmod(0o600)  # slurmdbd refuses it otherwise
        CLIENT_CONF.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.conf, CLIENT_CONF)
        daemon_env = {"SLURM_CONF": str(self.conf)}  # gres.conf, slurmdbd.conf: next to it

        self.start_munge()
        if self.accounting:
            self.start_accounting(values["mysql_port"], daemon_env)
        ctld = self.spawn(
            "slurmctld", [which("slurmctld"), "-D", "-i", "-f", str(self.conf)], daemon_env
        )
        wait_for(
            "slurmctld answers",
            lambda: self.running(
                ctld, lambda: self.command("scontrol", "ping", check=False).find("is UP") >= 0
            ),
            self.start_timeout,
            [self.log("slurmctld")],
        )
        slurmd = self.spawn(
            "slurmd", [which("slurmd"), "-D", "-f", str(self.conf), "-N", NODE], daemon_env
        )
        wait_for(
            f"node {NODE} idle",
            lambda: self.running(
                slurmd,
                lambda: (
                    self.command("sinfo", "-h", "-N", "-n", NODE, "-o", "%t", check=False)
                    .strip()
                    .startswith("idle")
                ),
            ),
            self.start_timeout,
            [self.log("slurmd"), self.log("slurmctld")],
        )

    def start_munge(self) -> None:
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        os.chmod(self.munge_socket.parent, 0o755)  # munged refuses a socket folder otherwise
        munged = self.spawn(
            "munged",
            [
                which("munged"),
                "-F",
                "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--pid-file={self.root / 'run' / 'munged.pid'}",
                f"--log-file={self.log('munged')}",
                f"--seed-file={self.root / 'munge' / 'munged.seed'}",
            ],
        )

        def credential():
            return (
                subprocess.run(
                    [which("munge"), "-n", "-S", str(self.munge_socket)],
                    capture_output=True,
                    timeout=10,
                ).returncode
                == 0
            )

        wait_for(
            "munged answers",
            lambda: self.running(munged, credential),
            self.start_timeout,
            [self.log("munged")],
        )

    def start_accounting(self, mysql_port: int, daemon_env: dict) -> None:
        datadir = self.root / "db"
        sock = self.root / "run" / "mysqld.sock"
        subprocess.run(
            [
                which("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={datadir}",
                "--user=root",
                "--skip-test-db",
                "--auth-root-authentication-method=normal",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        mariadb = self.spawn(
            "mariadbd",
            [
                which("mariadbd"),
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={sock}",
                f"--port={mysql_port}",
                "--bind-address=127.0.0.1",
                "--user=root",
                "--skip-grant-tables",  # slurmdbd logs in as root without a password
                "--innodb-buffer-pool-size=128M",
                "--innodb-lock-wait-timeout=900",
                f"--pid-file={self.root / 'run' / 'mariadbd.pid'}",
                f"--log-error={self.log('mariadbd')}",
            ],
        )

        def port_open():
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", mysql_port)) == 0

        wait_for(
            "mariadbd listens",
            lambda: self.running(mariadb, port_open),
            self.start_timeout,
            [self.log("mariadbd")],
        )
        dbd = self.spawn("slurmdbd", [which("slurmdbd"), "-D"], daemon_env)
        wait_for(
            "slurmdbd answers",
            lambda: self.running(dbd, lambda: self.ok("sacctmgr", "-n", "list", "cluster")),
            self.start_timeout,
            [self.log("slurmdbd"), self.log("mariadbd")],
        )
        # The cluster, and an account for this user, before slurmctld reads the associations.
        user = getpass.getuser()  # the name the plugin looks up
        self.command("sacctmgr", "-i", "add", "cluster", "mirlab")
        self.command("sacctmgr", "-i", "add", "account", ACCOUNT, "Cluster=mirlab")
        self.command(
            "sacctmgr", "-i", "add", "user", user, f"Account={ACCOUNT}", f"DefaultAccount={ACCOUNT}"
        )

    def stop(self, timeout: float = 30) -> None:
        """Cancel the jobs left (a failed test's), then stop every daemon started here, newest
        first, by its PID: SIGTERM, then SIGKILL."""
        try:
            if any(d.name == "slurmd" and d.alive() for d in self.daemons):
                try:
                    if self.jobs_left():
                        self.command(
                            "scancel",
                            "--full",
                            f"--user={getpass.getuser()}",
                            check=False,
                            timeout=10,
                        )
                        wait_for("jobs cancelled", lambda: not self.jobs_left(), 20)
                except (subprocess.TimeoutExpired, TimeoutError):
                    pass
            for daemon in reversed(self.daemons):
                if daemon.alive():
                    daemon.process.send_signal(signal.SIGTERM)
                    try:
                        daemon.process.wait(timeout)
                    except subprocess.TimeoutExpired:
                        daemon.process.kill()
                        daemon.process.wait(10)
        finally:
            if CLIENT_CONF.exists() and CLIENT_CONF.read_text().startswith(
                f"{MARKER} {self.root}\n"
            ):
                CLIENT_CONF.unlink()

    def jobs_left(self) -> bool:
        return bool(self.command("squeue", "-h", "-o", "%i", check=False, timeout=10).strip())


# --- commands under a time limit ---------------------------------------------------------------


@dataclass
class Bounded:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    stopped_by: str | None  # the signal that ended it; None: it ended by itself
    stop_seconds: float | None  # from the first signal to its exit
    leftovers: list[str]  # processes of its session still alive after it ended (then killed)


def session_processes(sid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live process in session ``sid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            state, session = fields[0], int(fields[3])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, ValueError):
            continue
        if session == sid and state != "Z":
            found.append((int(entry.name), cmdline))
    return found


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_bounded(
    argv: list[str], limit: float, log_dir: Path, grace: float = 60, stop_when=None, **popen
) -> Bounded:
    """Run ``argv`` in a session of its own for at most ``limit`` seconds (or until
    ``stop_when()``, polled every half second, is true). Then its process group gets SIGINT,
    which Snakemake honours: it cancels its SLURM jobs and exits. (SIGTERM means "finish the
    running jobs first" to Snakemake, and a hung run never finishes them.) After ``grace``
    more seconds the group gets SIGKILL. Processes of its session left alive after it ended
    are listed, then killed."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "stdout", log_dir / "stderr"
    start = time.monotonic()
    stopped_by = stop_seconds = None
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            # An ignored SIGINT is inherited through exec: if anything in this test process
            # ignores it, Snakemake would too and only the SIGKILL would end it.
            preexec_fn=_default_sigint,
            **popen,
        )
        deadline = start + limit
        while process.poll() is None and time.monotonic() < deadline:
            if stop_when is not None and stop_when():
                break
            try:
                process.wait(0.5)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            stopped_by, signalled = "SIGINT", time.monotonic()
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                stopped_by = "SIGKILL"
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
            stop_seconds = time.monotonic() - signalled
    seconds = time.monotonic() - start
    leftovers = []
    for pid, cmdline in session_processes(process.pid):
        leftovers.append(f"{pid} {cmdline}")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return Bounded(
        process.returncode,
        out_path.read_text(),
        err_path.read_text(),
        seconds,
        stopped_by,
        stop_seconds,
        leftovers,
    )
