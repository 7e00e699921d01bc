"""Errors of the transport, with stable ``TRN1xx`` codes.

The transport cannot import ``erengine``, so it has its own hierarchy shaped like
``erengine.errors.TransportError`` (code, message, host, operation, remote path, hint,
``to_dict()``); the jobs layer wraps one into the other. ``retryable`` says whether a fresh
connection may succeed: only transport faults are retried, never host-key, authentication,
permission or verification failures. Messages never carry secrets: they are built from
endpoint names, paths and fingerprints only.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SftpError(Exception):
    """Base of every error the transport raises on purpose."""

    code: ClassVar[str] = "TRN100"
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        host: str | None = None,
        operation: str | None = None,
        remote_path: str | None = None,
        hint: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.host = host
        self.operation = operation
        self.remote_path = remote_path
        self.hint = hint
        self.fingerprint = fingerprint

    def location(self) -> str:
        return " ".join(p for p in (self.host, self.operation, self.remote_path) if p)

    def __str__(self) -> str:
        where = self.location()
        text = f"{self.code} {where}: {self.message}" if where else f"{self.code} {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": "transport",
            "code": self.code,
            "message": self.message,
            "host": self.host,
            "operation": self.operation,
            "remote_path": self.remote_path,
            "retryable": self.retryable,
        }
        if self.hint:
            data["hint"] = self.hint
        if self.fingerprint:
            data["fingerprint"] = self.fingerprint
        return data


class EndpointConfigError(SftpError):
    """The endpoint file is missing, is not valid YAML, or does not match the schema."""

    code = "TRN101"


class HostKeyUnknownError(SftpError):
    """The server's key is pinned nowhere; the message shows its fingerprint to check."""

    code = "TRN110"


class HostKeyMismatchError(SftpError):
    """The server presented a key other than the pinned one(s): possible interception."""

    code = "TRN111"


class AuthenticationFailedError(SftpError):
    """The server refused our credentials."""

    code = "TRN112"


class ConnectFailedError(SftpError):
    """Nothing answered, or the SSH handshake did not complete in time."""

    code = "TRN120"
    retryable = True


class ConnectionLostError(SftpError):
    """The connection dropped during an operation."""

    code = "TRN121"
    retryable = True


class OperationTimeoutError(SftpError):
    """The server stopped answering (black-holed link) or the outer deadline passed."""

    code = "TRN122"
    retryable = True


class RemotePermissionError(SftpError):
    """The server refused the operation (read-only server, forbidden request, file mode)."""

    code = "TRN130"


class RemoteNotFoundError(SftpError):
    """A remote file or folder does not exist."""

    code = "TRN131"


class RemoteFailureError(SftpError):
    """The server reported a generic failure (SSH_FX_FAILURE: disk full, quota, ...)."""

    code = "TRN132"


class TargetExistsError(SftpError):
    """The final name already holds a different file; it is never overwritten unless told."""

    code = "TRN133"


class VerificationError(SftpError):
    """What arrived differs from what was sent (size or sha256)."""

    code = "TRN134"


class UnsafeRemoteNameError(SftpError):
    """A remote name tries path traversal, is absolute, or holds control characters."""

    code = "TRN140"


class InboxLockedError(SftpError):
    """Another picker holds the lock on this inbox."""

    code = "TRN141"


class LocalFileError(SftpError):
    """A local file could not be read or written (source file, download folder, archive)."""

    code = "TRN150"
