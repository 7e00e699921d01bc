"""SSH connections with pinned host keys, timeouts everywhere, and errors we can act on.

We drive ``paramiko.Transport`` ourselves rather than ``SSHClient`` so the host key is checked
against the pins *before* any credential is sent, and so every wait has a bound: connect,
banner, authentication, channel open, each SFTP reply (channel timeout) and an outer deadline
that closes the transport, because a black-holed link can outlive socket timeouts.
"""

from __future__ import annotations

import os
import socket
import stat as stat_mode
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import paramiko

from .endpoint import AuthSettings, SftpEndpoint
from .errors import (
    AuthenticationFailedError,
    ConnectFailedError,
    ConnectionLostError,
    EndpointConfigError,
    HostKeyMismatchError,
    HostKeyUnknownError,
    OperationTimeoutError,
    RemoteFailureError,
    RemoteNotFoundError,
    RemotePermissionError,
    SftpError,
    TargetExistsError,
)
from .remote import ByteSink, Progress, RemoteEntry, RemoteStat, copy_chunks

PREFETCH_ABOVE = 256 * 1024

_AuthMethod = Callable[[paramiko.Transport, str], object]


@dataclass(frozen=True, slots=True)
class HostKeyInfo:
    key_type: str
    fingerprint: str
    known_hosts_line: str


def known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def fetch_host_key(host: str, port: int = 22, timeout: float = 10.0) -> HostKeyInfo:
    """Ask a server for its key without authenticating, to pin a new bank."""
    transport = _start_transport(host, port, timeout)
    try:
        key = transport.get_remote_server_key()
    finally:
        transport.close()
    return HostKeyInfo(
        key_type=key.get_name(),
        fingerprint=key.fingerprint,
        known_hosts_line=f"{known_hosts_name(host, port)} {key.get_name()} {key.get_base64()}",
    )


class SftpSession:
    """One authenticated SFTP connection to an ``SftpEndpoint``; see ``RemoteFS``."""

    def __init__(self, endpoint: SftpEndpoint) -> None:
        self._label = endpoint.label
        self._aborted = threading.Event()
        self._deadline_seconds = endpoint.timeouts.deadline
        known = _known_host_keys(endpoint)
        self._transport = _start_transport(
            endpoint.host,
            endpoint.port,
            endpoint.timeouts.connect,
            preferred_key_types=[key.get_name() for key in known],
        )
        self._watchdog = _Watchdog(self._abort)
        try:
            key = self._transport.get_remote_server_key()
            self._fingerprint = _verify_host_key(endpoint, key, known)
            _authenticate(self._transport, endpoint)
            with self._translate("open sftp", None):
                client = paramiko.SFTPClient.from_transport(self._transport)
                if client is None:
                    raise ConnectionLostError("server refused the sftp subsystem")
                channel = client.get_channel()
                assert channel is not None  # from_transport always opens one
                channel.settimeout(endpoint.timeouts.operation)
                self._sftp = client
            _settle(self._transport)
        except BaseException:
            self.close()
            raise

    @property
    def label(self) -> str:
        return self._label

    @property
    def host_key_fingerprint(self) -> str | None:
        return self._fingerprint

    def stat(self, path: str) -> RemoteStat | None:
        with self._translate("stat", path):
            try:
                attributes = self._sftp.stat(path)
            except FileNotFoundError:
                return None
        return RemoteStat(size=attributes.st_size or 0, mtime=int(attributes.st_mtime or 0))

    def list_folder(self, folder: str) -> list[RemoteEntry]:
        with self._translate("list", folder):
            attributes = self._sftp.listdir_attr(folder)
        return [
            RemoteEntry(
                name=item.filename,
                size=item.st_size or 0,
                mtime=int(item.st_mtime or 0),
                is_file=stat_mode.S_ISREG(item.st_mode or 0),
            )
            for item in attributes
        ]

    def write(
        self, path: str, source: BinaryIO, *, offset: int, size: int, progress: Progress | None
    ) -> None:
        with (
            self._translate("upload", path),
            self._sftp.open(path, "wb" if offset == 0 else "r+b") as remote,
        ):
            remote.seek(offset)
            # Pipelined writes stream without waiting for each ack; errors the server
            # reports late are dropped by paramiko at close, so callers stat afterwards.
            remote.set_pipelined(True)
            copy_chunks(source, remote, done=offset, total=size, progress=progress)

    def read(
        self, path: str, sink: ByteSink, progress: Progress | None, *, size: int | None = None
    ) -> int:
        with self._translate("download", path), self._sftp.open(path, "rb") as remote:
            if size is None:
                size = remote.stat().st_size or 0  # one round trip a listing may save
            if size > PREFETCH_ABOVE:
                # Many reads in flight for throughput. For small files the prefetch thread
                # costs more than it saves: plain reads are one round trip per 32 KiB.
                remote.prefetch(size)
            # Stopping at the size seen at open (or listed) saves the round trip that would
            # only say "end of file"; a file that grew meanwhile is caught by the caller's stat.
            return copy_chunks(
                remote, sink, done=0, total=size, progress=progress, stop_at_total=True
            )

    def rename(self, source: str, target: str) -> None:
        with self._translate("rename", target):
            try:
                self._sftp.rename(source, target)
            except PermissionError:
                raise
            except OSError:
                # OpenSSH answers a bare "Failure" when the target exists (rename is
                # link()+unlink()); stat to tell a collision from other failures.
                if self._sftp_exists(target):
                    raise TargetExistsError(
                        "the target name already exists",
                        host=self._label,
                        operation="rename",
                        remote_path=target,
                    ) from None
                raise

    def replace(self, source: str, target: str) -> None:
        with self._translate("posix-rename", target):
            self._sftp.posix_rename(source, target)

    def remove(self, path: str) -> None:
        with self._translate("remove", path):
            self._sftp.remove(path)

    def make_folders(self, folder: str) -> None:
        current = ""
        for part in folder.split("/"):
            if part in ("", "."):
                current = "/" if not current and folder.startswith("/") else current
                continue
            current = f"{current.rstrip('/')}/{part}" if current else part
            if self.stat(current) is None:
                with self._translate("mkdir", current):
                    self._sftp.mkdir(current)

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        self._deadline_seconds = seconds
        self._watchdog.arm(seconds)
        try:
            yield
        finally:
            self._watchdog.disarm()

    def close(self) -> None:
        self._watchdog.stop()
        self._transport.close()

    def _abort(self) -> None:
        self._aborted.set()
        self._transport.close()

    def _sftp_exists(self, path: str) -> bool:
        try:
            self._sftp.stat(path)
        except OSError:
            return False
        return True

    @contextmanager
    def _translate(self, operation: str, path: str | None) -> Iterator[None]:
        """Turn paramiko's and the socket layer's exceptions into ``SftpError``s."""
        where = {"host": self._label, "operation": operation, "remote_path": path}
        try:
            yield
        except SftpError:
            raise
        except Exception as exc:
            if self._aborted.is_set():
                raise OperationTimeoutError(
                    f"no result within the deadline of {self._deadline_seconds:g} s",
                    **where,
                ) from exc
            raise _classify(exc, alive=self._transport.is_active(), **where) from exc


class _Watchdog:
    """One thread per session that calls ``on_expiry`` when an armed deadline passes.

    Arming is a variable under a lock: a timer thread per transfer would cost more than a
    small file's whole transfer.
    """

    def __init__(self, on_expiry: Callable[[], None]) -> None:
        self._on_expiry = on_expiry
        self._condition = threading.Condition()
        self._due: float | None = None
        self._stopped = False
        threading.Thread(target=self._watch, name="sftp-deadline", daemon=True).start()

    def arm(self, seconds: float) -> None:
        with self._condition:
            self._due = time.monotonic() + seconds
            self._condition.notify()

    def disarm(self) -> None:
        with self._condition:
            self._due = None

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify()

    def _watch(self) -> None:
        while self._wait_for_expiry():
            self._on_expiry()  # outside the lock: closing a transport may take a moment

    def _wait_for_expiry(self) -> bool:
        """Block until an armed deadline passes (True) or the watchdog stops (False)."""
        with self._condition:
            while not self._stopped:
                if self._due is None:
                    self._condition.wait()
                    continue
                remaining = self._due - time.monotonic()
                if remaining <= 0:
                    self._due = None
                    return True
                self._condition.wait(remaining)
            return False


def _classify(exc: Exception, *, alive: bool, **where: str | None) -> SftpError:
    if isinstance(exc, TimeoutError):
        return OperationTimeoutError("the server stopped answering", **where)
    if isinstance(exc, FileNotFoundError):
        return RemoteNotFoundError("no such file or folder", **where)
    if isinstance(exc, PermissionError):
        return RemotePermissionError("the server refused permission", **where)
    if isinstance(exc, EOFError | paramiko.SSHException | paramiko.sftp.SFTPError) or not alive:
        return ConnectionLostError(f"connection lost ({type(exc).__name__})", **where)
    if isinstance(exc, OSError):
        # SSH_FX_FAILURE carries no errno: disk full, quota, missing posix-rename support ...
        return RemoteFailureError(
            f"the server reported a failure: {exc.args[0] if exc.args else exc}",
            hint="disk full, quota exceeded, or an unsupported request on the server",
            **where,
        )
    return ConnectionLostError(f"unexpected {type(exc).__name__}: {exc}", **where)


def _start_transport(
    host: str, port: int, timeout: float, preferred_key_types: Sequence[str] = ()
) -> paramiko.Transport:
    label = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise ConnectFailedError(
            f"cannot connect ({exc.strerror or type(exc).__name__})",
            host=label,
            operation="connect",
        ) from exc
    # Request/response patterns (small files, stats, renames) stall ~30 ms per round trip
    # on Nagle + delayed ACK without this.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = paramiko.Transport(_QuickAckSocket.adopt(sock))
    transport.banner_timeout = timeout
    transport.handshake_timeout = timeout
    transport.auth_timeout = timeout
    transport.channel_timeout = timeout
    options = transport.get_security_options()
    # AES-GCM authenticates as it decrypts: no separate HMAC pass over every packet, on
    # either side. Servers without it negotiate the next cipher on the list.
    options.ciphers = [name for name in options.ciphers if name in _AEAD_CIPHERS] + [
        name for name in options.ciphers if name not in _AEAD_CIPHERS
    ]
    if preferred_key_types:
        # Ask first for the key types we hold pins for: a server with several host keys
        # would otherwise present its preferred one, which we may not know.
        wanted = set(_negotiation_names(preferred_key_types))
        options.key_types = [name for name in options.key_types if name in wanted] + [
            name for name in options.key_types if name not in wanted
        ]
    try:
        # start_client returns quietly when its timeout passes mid-handshake; asking for the
        # server key is what tells a finished handshake from an unfinished one.
        transport.start_client(timeout=timeout)
        transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as exc:
        transport.close()
        raise ConnectFailedError(
            f"the SSH handshake did not complete within {timeout:g} s",
            host=label,
            operation="connect",
        ) from exc
    return transport


_AEAD_CIPHERS = frozenset({"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"})


class _QuickAckSocket(socket.socket):
    """A TCP socket that acknowledges every segment at once until ``settle()``.

    Right after authentication OpenSSH sends two small messages of its own (its host keys,
    a debug line) and, with Nagle on, holds its answer to our channel-open until the second
    is acknowledged, which the kernel's delayed ACK puts off by 40 ms: two thirds of a
    session's set-up. ``TCP_QUICKACK`` is not sticky, so it is set again after each read.
    Bulk transfers go back to delayed ACKs, which cost both ends less.
    """

    _quick_acks = True

    @classmethod
    def adopt(cls, sock: socket.socket) -> socket.socket:
        if not hasattr(socket, "TCP_QUICKACK"):
            return sock  # not Linux: the set-up just takes its 40 ms
        timeout = sock.gettimeout()
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.settimeout(timeout)
        return adopted

    def recv(self, size: int, flags: int = 0, /) -> bytes:
        data = super().recv(size, flags)
        if self._quick_acks:
            self.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return data

    def settle(self) -> None:
        self._quick_acks = False


def _settle(transport: paramiko.Transport) -> None:
    if isinstance(transport.sock, _QuickAckSocket):
        transport.sock.settle()


def _negotiation_names(key_types: Sequence[str]) -> list[str]:
    """known_hosts says ``ssh-rsa``; key exchange offers RSA keys as the SHA-2 signatures."""
    names = list(key_types)
    if "ssh-rsa" in names:
        names += ["rsa-sha2-512", "rsa-sha2-256"]
    return names


def _known_host_keys(endpoint: SftpEndpoint) -> list[paramiko.PKey]:
    """The keys the endpoint's known_hosts file holds for its host and port."""
    path = endpoint.host_keys.known_hosts
    if path is None:
        return []
    host_keys = paramiko.HostKeys()
    try:
        host_keys.load(str(path))
    except OSError as exc:
        raise EndpointConfigError(
            f"cannot read known_hosts file {path} ({exc.strerror})",
            host=endpoint.label,
            operation="verify host key",
        ) from None
    entry = host_keys.lookup(known_hosts_name(endpoint.host, endpoint.port))
    return list(entry.values()) if entry is not None else []


def _verify_host_key(
    endpoint: SftpEndpoint, key: paramiko.PKey, known: Sequence[paramiko.PKey]
) -> str:
    fingerprint = key.fingerprint
    pins = endpoint.host_keys
    if fingerprint in pins.fingerprints:
        return fingerprint
    if any(candidate.asbytes() == key.asbytes() for candidate in known):
        return fingerprint
    expected = sorted({*pins.fingerprints, *(candidate.fingerprint for candidate in known)})
    if not expected:
        raise HostKeyUnknownError(
            f"the server's {key.get_name()} key {fingerprint} is not pinned",
            host=endpoint.label,
            operation="verify host key",
            fingerprint=fingerprint,
            hint="confirm the fingerprint with the bank out of band, then add it to "
            "host_keys.fingerprints (see `erengine sftp fingerprint`)",
        )
    raise HostKeyMismatchError(
        f"the server presented {key.get_name()} key {fingerprint}, "
        f"but the pinned key(s) are {', '.join(expected)}",
        host=endpoint.label,
        operation="verify host key",
        fingerprint=fingerprint,
        hint="the key changed or the connection is intercepted; ask the bank before re-pinning",
    )


def _authenticate(transport: paramiko.Transport, endpoint: SftpEndpoint) -> None:
    where = {"host": endpoint.label, "operation": "authenticate"}
    for method in _auth_methods(endpoint.auth, endpoint.label):
        try:
            method(transport, endpoint.user)
        except paramiko.AuthenticationException:
            continue
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise ConnectionLostError("connection lost during authentication", **where) from exc
        if transport.is_authenticated():
            return
    raise AuthenticationFailedError(
        f"the server refused the credentials of user {endpoint.user!r}",
        **where,
        hint="check that the bank registered our public key for this user",
    )


def _auth_methods(auth: AuthSettings, label: str) -> Iterator[_AuthMethod]:
    if auth.key_file is not None:
        yield _public_key_method(_load_key(auth, label))
    if auth.agent:
        for agent_key in paramiko.Agent().get_keys():
            yield _public_key_method(agent_key)
    if auth.password_env is not None:
        password = _secret(auth.password_env, label)
        yield lambda transport, user: transport.auth_password(user, password)


def _public_key_method(key: paramiko.PKey) -> _AuthMethod:
    return lambda transport, user: transport.auth_publickey(user, key)


def _load_key(auth: AuthSettings, label: str) -> paramiko.PKey:
    assert auth.key_file is not None
    passphrase = _secret(auth.key_passphrase_env, label) if auth.key_passphrase_env else None
    try:
        return paramiko.PKey.from_path(auth.key_file, passphrase)
    except OSError as exc:
        raise EndpointConfigError(
            f"cannot read key file {auth.key_file} ({exc.strerror})",
            host=label,
            operation="load key",
        ) from None
    except paramiko.PasswordRequiredException:
        raise EndpointConfigError(
            f"key file {auth.key_file} is encrypted",
            host=label,
            operation="load key",
            hint="name the variable holding its passphrase in auth.key_passphrase_env",
        ) from None
    except paramiko.SSHException:
        raise EndpointConfigError(
            f"key file {auth.key_file} is not a usable private key (or the passphrase is wrong)",
            host=label,
            operation="load key",
        ) from None


def _secret(variable: str | None, label: str) -> str:
    value = os.environ.get(variable or "")
    if not value:
        raise EndpointConfigError(
            f"environment variable {variable} is not set", host=label, operation="authenticate"
        )
    return value
