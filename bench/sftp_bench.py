"""Transport throughput beside the OpenSSH ``sftp`` client, against a local sshd (not a test).

Measures, in one run and against the same server:
- a 100 MB upload and download: erengine's full push/pull (hash, temp name, size check,
  rename, archive copy, ledger) and its bare transfer (``SftpSession.write``/``read``), each
  beside ``sftp -b`` (``put``/``get``, including its process start and handshake);
- 1,000 small files up and down: erengine push/pull of the batch in one session beside one
  ``sftp -b`` batch of 1,000 ``put`` lines / one ``get`` of the folder.

Each figure is the best of ``--repeat`` rounds (default 3), for erengine and the client alike:
on a shared machine the other processes' load only ever slows a run down. A round times the
client and erengine one after the other, and the median of the rounds' ratios is printed too.

Targets (issue 5): large file >= 0.7x the sftp client, small files within 2x.
Run: ``.venv/bin/python bench/sftp_bench.py [--large-mb 100] [--small-files 1000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import getpass
import importlib.util
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from erengine_sftp import (
    Archive,
    Courier,
    Ledger,
    Picker,
    SftpEndpoint,
    SftpSession,
    parse_endpoint,
)
from erengine_sftp.deliver import GROUP_FILES

REPO = Path(__file__).resolve().parent.parent


def load_sshd_helpers() -> ModuleType:
    """The tests' sshd launcher, loaded by path: one recipe for tests and benchmark."""
    spec = importlib.util.spec_from_file_location("sftp_test_sshd", REPO / "tests/sftp/sshd.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


Prepare = Callable[[], Callable[[], object]]
"""Sets up a fresh run (folders, ledger) and returns the action to time."""


def rounds(prepares: list[Prepare], repeat: int) -> list[list[float]]:
    """``repeat`` timings of each action, taken in turns (client, erengine, ...) so that
    each round's figures saw the same load; one list of timings per action."""
    timings: list[list[float]] = [[] for _ in prepares]
    for _ in range(repeat):
        for prepare, taken in zip(prepares, timings, strict=True):
            taken.append(timed(prepare()))
    return timings


class SftpClient:
    """The OpenSSH command-line client in batch mode, pinned to the same host key."""

    def __init__(self, folder: Path, port: int, key: Path) -> None:
        known_hosts = folder / "bench_known_hosts"
        host_key = (folder / "host_ed25519.pub").read_text().split()
        known_hosts.write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
        self._command = [
            "sftp", "-q", "-P", str(port), "-i", str(key),
            "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes", "-b", "-", f"{getpass.getuser()}@127.0.0.1",
        ]  # fmt: skip

    def run(self, batch: str) -> None:
        subprocess.run(self._command, input=batch.encode(), check=True, capture_output=True)


def endpoint_for(server: Any, folders: dict[str, str], data: Path) -> SftpEndpoint:
    document = server.endpoint_data(
        name="bench",
        folders=folders,
        archive={"folder": str(data / "archive")},
        timeouts={"connect": 10, "operation": 60, "deadline": 600},
    )
    endpoint = parse_endpoint(document, source=str(data / "bench.yaml"))
    assert isinstance(endpoint, SftpEndpoint)
    return endpoint


def paired(ours: list[float], theirs: list[float]) -> str:
    """The best times' ratio, and the median of each round's ratio (robust to a round that
    other processes slowed down)."""
    rounds_ratio = statistics.median(t / o for o, t in zip(ours, theirs, strict=True))
    return f"ratio {min(theirs) / min(ours):5.2f}x (rounds: median {rounds_ratio:5.2f}x)"


def report(
    label: str, megabytes: float, ours_times: list[float], theirs_times: list[float]
) -> None:
    ours, theirs = min(ours_times), min(theirs_times)
    print(
        f"{label:44} erengine {megabytes / ours:8.1f} MB/s ({ours:6.2f} s)   "
        f"sftp {megabytes / theirs:8.1f} MB/s ({theirs:6.2f} s)   "
        f"{paired(ours_times, theirs_times)}"
    )


def report_files(
    label: str, count: int, ours_times: list[float], theirs_times: list[float]
) -> None:
    ours, theirs = min(ours_times), min(theirs_times)
    print(
        f"{label:44} erengine {count / ours:8.0f} files/s ({ours:6.2f} s)   "
        f"sftp {count / theirs:8.0f} files/s ({theirs:6.2f} s)   "
        f"{paired(ours_times, theirs_times)}"
    )


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def bench_large(
    server: Any, client: SftpClient, root: Path, work: Path, size_mb: int, repeat: int
) -> None:
    source = work / "large.bin"
    with open(source, "wb") as sink:
        block = bytes(range(256)) * 4096
        for _ in range(size_mb):
            sink.write(block)
    megabytes = source.stat().st_size / 1e6
    endpoint = endpoint_for(server, {"outbox": "up", "inbox": "down"}, work)

    def client_up() -> Callable[[], object]:
        fresh(root / "up")
        return lambda: client.run(f"put {source} up/large.bin\n")

    def push() -> Callable[[], object]:
        fresh(root / "up")
        courier = Courier(endpoint, ledger=fresh_ledger(work), archive=fresh_archive(work))
        return lambda: courier.deliver([source])

    session = SftpSession(endpoint)

    def bare_push() -> Callable[[], object]:
        fresh(root / "up")

        def write() -> None:
            with open(source, "rb") as reader:
                size = source.stat().st_size
                session.write("up/large.bin", reader, offset=0, size=size, progress=None)

        return write

    theirs_up, ours_up, bare_up = rounds([client_up, push, bare_push], repeat)
    report(f"upload {size_mb} MiB, full push", megabytes, ours_up, theirs_up)
    report(f"upload {size_mb} MiB, bare transfer", megabytes, bare_up, theirs_up)

    def inbox() -> None:
        # A pull moves the file to down/done/.
        fresh(root / "down")
        shutil.copyfile(source, root / "down" / "large.bin")

    def client_down() -> Callable[[], object]:
        inbox()
        got = fresh(work / "got")
        return lambda: client.run(f"get down/large.bin {got}/large.bin\n")

    def bare_pull() -> Callable[[], object]:
        inbox()
        got = fresh(work / "got")

        def read() -> None:
            with open(got / "large.bin", "wb") as sink:
                session.read("down/large.bin", sink, None)

        return read

    def pull() -> Callable[[], object]:
        inbox()
        picker = Picker(endpoint, ledger=fresh_ledger(work), archive=fresh_archive(work))
        got = fresh(work / "got")
        return lambda: picker.pick_up(got)

    theirs_down, bare_down, ours_down = rounds([client_down, bare_pull, pull], repeat)
    session.close()
    report(f"download {size_mb} MiB, full pull", megabytes, ours_down, theirs_down)
    report(f"download {size_mb} MiB, bare transfer", megabytes, bare_down, theirs_down)


def fresh_ledger(work: Path) -> Ledger:
    """A new, empty ledger (the one before is closed when its courier or picker goes)."""
    folder = fresh(work / "data" / "ledger")
    return Ledger(folder / "ledger.sqlite")


def fresh_archive(work: Path) -> Archive:
    return Archive(fresh(work / "data" / "archive"))


def each(paths: list[Path], action: Callable[[Path], object]) -> None:
    for path in paths:
        action(path)


def bare_publish(session: SftpSession, path: Path) -> None:
    """The transport's part of a push, without hashing, archive or ledger."""
    with open(path, "rb") as reader:
        session.write(f"up/.{path.name}.part", reader, offset=0, size=4000, progress=None)
    session.stat(f"up/.{path.name}.part")
    session.rename(f"up/.{path.name}.part", f"up/{path.name}")


def bench_small(
    server: Any, client: SftpClient, root: Path, work: Path, count: int, repeat: int
) -> None:
    sources = fresh(work / "small")
    files = []
    for index in range(count):
        path = sources / f"pay-{index:05d}.xml"
        path.write_bytes(f"<Document id='{index}'>".encode() + b"x" * 4000 + b"</Document>")
        files.append(path)
    endpoint = endpoint_for(server, {"outbox": "up", "inbox": "down"}, work)
    batch = "".join(f"put {path} up/{path.name}\n" for path in files)

    def client_up() -> Callable[[], object]:
        fresh(root / "up")
        return lambda: client.run(batch)

    def push() -> Callable[[], object]:
        fresh(root / "up")
        courier = Courier(endpoint, ledger=fresh_ledger(work), archive=fresh_archive(work))
        return lambda: courier.deliver(files)

    session = SftpSession(endpoint)

    def bare_push() -> Callable[[], object]:
        fresh(root / "up")
        return lambda: each(files, lambda path: bare_publish(session, path))

    theirs_up, ours_up, bare_up = rounds([client_up, push, bare_push], repeat)
    report_files(f"upload {count} x 4 KB, full push", count, ours_up, theirs_up)
    report_files(f"upload {count} x 4 KB, bare temp+stat+rename", count, bare_up, theirs_up)

    def inbox() -> None:
        shutil.rmtree(root / "down", ignore_errors=True)
        shutil.copytree(sources, root / "down")

    def client_down() -> Callable[[], object]:
        inbox()
        got = fresh(work / "got")
        return lambda: client.run(f"get down/* {got}/\n")

    def pull() -> Callable[[], object]:
        inbox()
        picker = Picker(endpoint, ledger=fresh_ledger(work), archive=fresh_archive(work))
        got = fresh(work / "got")
        return lambda: picker.pick_up(got)

    def bare_pull() -> Callable[[], object]:
        inbox()
        return lambda: each(files, lambda p: session.read(f"down/{p.name}", io.BytesIO(), None))

    theirs_down, ours_down, bare_down = rounds([client_down, pull, bare_pull], repeat)
    session.close()
    report_files(f"download {count} x 4 KB, full pull", count, ours_down, theirs_down)
    report_files(f"download {count} x 4 KB, bare transfer", count, bare_down, theirs_down)


def session_set_up(server: Any, work: Path, samples: int = 10) -> float:
    """Median time to connect, check the host key, authenticate and open SFTP."""
    endpoint = endpoint_for(server, {"outbox": "up", "inbox": "down"}, work)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        session = SftpSession(endpoint)
        timings.append(time.perf_counter() - started)
        session.close()
    return statistics.median(timings)


def fsync_latency(folder: Path, samples: int = 50) -> float:
    """Median seconds to write and fsync a 4 KB file here: the floor under every durable
    step of a push or pull (the archive copy, the manifest line, the ledger)."""
    timings = []
    for index in range(samples):
        path = folder / f"fsync-probe-{index}"
        started = time.perf_counter()
        with open(path, "wb") as probe:
            probe.write(b"x" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
        timings.append(time.perf_counter() - started)
        path.unlink()
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--large-mb", type=int, default=100)
    parser.add_argument("--small-files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best)")
    args = parser.parse_args()
    helpers = load_sshd_helpers()
    with tempfile.TemporaryDirectory(prefix="sftp-bench-") as scratch:
        folder = Path(scratch) / "sshd"
        folder.mkdir()
        helpers.prepare_keys(folder)
        root = folder / "root"
        root.mkdir()
        server = helpers.SshServer(folder=folder, root=root)
        server.start()
        try:
            client = SftpClient(folder, server.port, server.client_key)
            work = Path(scratch) / "work"
            work.mkdir()
            bench_large(server, client, root, work, args.large_mb, args.repeat)
            bench_small(server, client, root, work, args.small_files, args.repeat)
            latency = fsync_latency(work)
            set_up = session_set_up(server, work)
        finally:
            server.stop()
    print(f"best of {args.repeat} rounds. ratio = erengine speed / sftp speed. Targets: large")
    print("file >= 0.70x; small files >= 0.50x (within 2x). 'full' includes hashing, the archive")
    print("copy, the manifest line and the ledger, made durable once per group of files; 'bare'")
    print("is the SFTP protocol work alone.")
    print(f"session set-up (connect, host key, authentication, SFTP): {set_up * 1000:.1f} ms")
    print(
        f"fsync of a 4 KB file here: {latency * 1000:.2f} ms (median); a group of up to "
        f"{GROUP_FILES} small files costs one syncfs (or an fsync per file where syncfs is "
        "missing) and one or two fsynced ledger commits"
    )


if __name__ == "__main__":
    main()
