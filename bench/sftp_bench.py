"""Transport throughput beside the OpenSSH ``sftp`` client, against a local sshd (not a test).

Measures, in one run and against the same server:
- a 100 MB upload and download: erengine's full push/pull (hash, temp name, size check,
  rename, archive copy, ledger) and its bare transfer (``SftpSession.write``/``read``), each
  beside ``sftp -b`` (``put``/``get``, including its process start and handshake);
- 1,000 small files up and down: erengine push/pull of the batch in one session beside one
  ``sftp -b`` batch of 1,000 ``put`` lines / one ``get`` of the folder.

Targets (issue 5): large file >= 0.7x the sftp client, small files within 2x.
Run: ``.venv/bin/python bench/sftp_bench.py [--large-mb 100] [--small-files 1000]``.
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


def report(label: str, megabytes: float, ours: float, theirs: float) -> None:
    print(
        f"{label:44} erengine {megabytes / ours:8.1f} MB/s ({ours:6.2f} s)   "
        f"sftp {megabytes / theirs:8.1f} MB/s ({theirs:6.2f} s)   ratio {theirs / ours:5.2f}x"
    )


def report_files(label: str, count: int, ours: float, theirs: float) -> None:
    print(
        f"{label:44} erengine {count / ours:8.0f} files/s ({ours:6.2f} s)   "
        f"sftp {count / theirs:8.0f} files/s ({theirs:6.2f} s)   ratio {theirs / ours:5.2f}x"
    )


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def bench_large(server: Any, client: SftpClient, root: Path, work: Path, size_mb: int) -> None:
    source = work / "large.bin"
    with open(source, "wb") as sink:
        block = bytes(range(256)) * 4096
        for _ in range(size_mb):
            sink.write(block)
    megabytes = source.stat().st_size / 1e6
    endpoint = endpoint_for(server, {"outbox": "up", "inbox": "down"}, work)

    fresh(root / "up")
    theirs_up = timed(lambda: client.run(f"put {source} up/large.bin\n"))
    fresh(root / "up")
    with Ledger(fresh(work / "data") / "ledger.sqlite") as ledger:
        courier = Courier(endpoint, ledger=ledger, archive=Archive(work / "data" / "archive"))
        ours_up = timed(lambda: courier.deliver([source]))
    fresh(root / "up")
    session = SftpSession(endpoint)
    with open(source, "rb") as reader:
        bare_up = timed(
            lambda: session.write(
                "up/large.bin", reader, offset=0, size=source.stat().st_size, progress=None
            )
        )
    report(f"upload {size_mb} MiB, full push", megabytes, ours_up, theirs_up)
    report(f"upload {size_mb} MiB, bare transfer", megabytes, bare_up, theirs_up)

    fresh(root / "down")
    shutil.copyfile(source, root / "down" / "large.bin")
    got = fresh(work / "got")
    theirs_down = timed(lambda: client.run(f"get down/large.bin {got}/large.bin\n"))
    with open(fresh(work / "got") / "large.bin", "wb") as sink:
        bare_down = timed(lambda: session.read("down/large.bin", sink, None))
    session.close()
    with Ledger(fresh(work / "data") / "ledger.sqlite") as ledger:
        picker = Picker(endpoint, ledger=ledger, archive=Archive(work / "data" / "archive"))
        ours_down = timed(lambda: picker.pick_up(fresh(work / "got")))
    report(f"download {size_mb} MiB, full pull", megabytes, ours_down, theirs_down)
    report(f"download {size_mb} MiB, bare transfer", megabytes, bare_down, theirs_down)


def each(paths: list[Path], action: Callable[[Path], object]) -> None:
    for path in paths:
        action(path)


def bare_publish(session: SftpSession, path: Path) -> None:
    """The transport's part of a push, without hashing, archive or ledger."""
    with open(path, "rb") as reader:
        session.write(f"up/.{path.name}.part", reader, offset=0, size=4000, progress=None)
    session.stat(f"up/.{path.name}.part")
    session.rename(f"up/.{path.name}.part", f"up/{path.name}")


def bench_small(server: Any, client: SftpClient, root: Path, work: Path, count: int) -> None:
    sources = fresh(work / "small")
    files = []
    for index in range(count):
        path = sources / f"pay-{index:05d}.xml"
        path.write_bytes(f"<Document id='{index}'>".encode() + b"x" * 4000 + b"</Document>")
        files.append(path)
    endpoint = endpoint_for(server, {"outbox": "up", "inbox": "down"}, work)

    fresh(root / "up")
    batch = "".join(f"put {path} up/{path.name}\n" for path in files)
    theirs_up = timed(lambda: client.run(batch))
    fresh(root / "up")
    with Ledger(fresh(work / "data") / "ledger.sqlite") as ledger:
        courier = Courier(endpoint, ledger=ledger, archive=Archive(work / "data" / "archive"))
        ours_up = timed(lambda: courier.deliver(files))
    report_files(f"upload {count} x 4 KB, full push", count, ours_up, theirs_up)
    fresh(root / "up")
    session = SftpSession(endpoint)
    bare_up = timed(lambda: each(files, lambda path: bare_publish(session, path)))
    report_files(f"upload {count} x 4 KB, bare temp+stat+rename", count, bare_up, theirs_up)

    shutil.rmtree(root / "down", ignore_errors=True)
    shutil.copytree(sources, root / "down")
    got = fresh(work / "got")
    theirs_down = timed(lambda: client.run(f"get down/* {got}/\n"))
    with Ledger(fresh(work / "data") / "ledger.sqlite") as ledger:
        picker = Picker(endpoint, ledger=ledger, archive=Archive(work / "data" / "archive"))
        ours_down = timed(lambda: picker.pick_up(fresh(work / "got")))
    report_files(f"download {count} x 4 KB, full pull", count, ours_down, theirs_down)
    # The pull moved the files to down/done/.
    bare_down = timed(
        lambda: each(files, lambda p: session.read(f"down/done/{p.name}", io.BytesIO(), None))
    )
    session.close()
    report_files(f"download {count} x 4 KB, bare transfer", count, bare_down, theirs_down)


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
            bench_large(server, client, root, work, args.large_mb)
            bench_small(server, client, root, work, args.small_files)
            latency = fsync_latency(work)
        finally:
            server.stop()
    print("ratio = erengine speed / sftp speed. Targets: large file >= 0.70x; small files")
    print(">= 0.50x (within 2x). 'full' includes hashing, the archive copy, the manifest line and")
    print("the ledger, each fsynced per file; 'bare' is the SFTP protocol work alone.")
    print(
        f"fsync of a 4 KB file here: {latency * 1000:.2f} ms (median); a small-file push makes "
        "4 fsyncs, a pull 5"
    )


if __name__ == "__main__":
    main()
