"""Endpoint declarations: where files go, how to reach it, and how careful to be.

An endpoint is a YAML file checked by the pydantic models below (unknown keys are errors).
Two types share every rule about delivery, pickup and archiving: ``sftp`` (a bank's server)
and ``local`` (a shared drop folder, e.g. a mounted share or the demo's folder).
Secrets are never written in the file: a password or key passphrase is named by the
environment variable that holds it.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from .errors import EndpointConfigError

ENDPOINTS_ENV = "ERENGINE_ENDPOINTS"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthSettings(_Strict):
    """How we prove who we are. At least one method must be given."""

    key_file: Path | None = None
    key_passphrase_env: str | None = None
    agent: bool = False
    password_env: str | None = None

    @model_validator(mode="after")
    def _one_method(self) -> AuthSettings:
        if self.key_file is None and not self.agent and self.password_env is None:
            raise ValueError("give key_file, agent: true or password_env")
        return self


class HostKeySettings(_Strict):
    """The server keys we accept: lines of a known_hosts file and/or SHA256 fingerprints.

    Several fingerprints may be listed while a bank rotates its key.
    """

    known_hosts: Path | None = None
    fingerprints: tuple[str, ...] = ()

    @field_validator("fingerprints")
    @classmethod
    def _sha256_form(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not value.startswith("SHA256:") or len(value) < 20:
                raise ValueError("fingerprints look like 'SHA256:…' (`erengine sftp fingerprint`)")
        return values

    @model_validator(mode="after")
    def _pinned(self) -> HostKeySettings:
        if self.known_hosts is None and not self.fingerprints:
            raise ValueError("pin the server key: give known_hosts or fingerprints")
        return self


class Folders(_Strict):
    """Remote folders, relative to the login folder (sftp) or the root (local)."""

    outbox: str = "."
    inbox: str = "."
    temp: str | None = None  # None: temp files beside the final name
    done: str = "done"  # relative to inbox
    error: str = "error"  # relative to inbox


class Timeouts(_Strict):
    """Seconds. ``operation`` bounds each SFTP reply; ``deadline`` bounds one file's transfer."""

    connect: float = Field(10.0, gt=0)
    operation: float = Field(30.0, gt=0)
    deadline: float = Field(3600.0, gt=0)


class RetryPolicy(_Strict):
    """Backoff for transport faults (dropped links, timeouts); other errors never retry."""

    attempts: int = Field(4, ge=1)
    initial_delay: float = Field(1.0, ge=0)
    max_delay: float = Field(30.0, ge=0)
    multiplier: float = Field(2.0, ge=1)

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2 is the first retry)."""
        return min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 2))


class DeliverySettings(_Strict):
    """How an outgoing file is published.

    ``publish``: ``rename`` never overwrites (plain SFTP rename refuses an existing target);
    ``replace`` atomically replaces (posix-rename); ``direct`` writes the final name and then
    a done marker, for servers that forbid rename. ``on_rename_forbidden: direct`` switches
    to ``direct`` when the server refuses the rename.
    """

    publish: Literal["rename", "replace", "direct"] = "rename"
    on_rename_forbidden: Literal["fail", "direct"] = "fail"
    temp_pattern: str = ".{name}.part"
    done_marker: str = "{name}.done"
    verify_sha256: bool = False

    @field_validator("temp_pattern", "done_marker")
    @classmethod
    def _has_name(cls, value: str) -> str:
        if "{name}" not in value or "/" in value:
            raise ValueError("a pattern holds '{name}' and no '/'")
        return value


class PickupSettings(_Strict):
    """Which inbox files to take, when they count as complete, and what to do afterwards.

    A file is complete when its ``done_marker`` exists (if set), otherwise when size and mtime
    stay the same across ``stable_seconds`` and it is at least ``min_age_seconds`` old.
    ``after`` applies to files the consumer took (to ``folders.done``), ``after_failure`` to
    files it refused (to ``folders.error``). A refused file is never deleted: it is the one a
    person must look at, and the bank may need it back to resend a corrected file.
    """

    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    done_marker: str | None = None
    stable_seconds: float = Field(5.0, ge=0)
    min_age_seconds: float = Field(20.0, ge=0)
    min_size: int = Field(1, ge=0)
    after: Literal["move", "delete", "leave"] = "move"
    after_failure: Literal["move", "leave"] | None = None  # None: leave when after is leave

    @property
    def after_refusal(self) -> Literal["move", "leave"]:
        """What happens to a refused file: ``after_failure``, else what ``after`` says
        (``delete`` moves it to the error folder instead)."""
        if self.after_failure is not None:
            return self.after_failure
        return "leave" if self.after == "leave" else "move"


class ArchiveSettings(_Strict):
    """Where copies of every file in and out are kept, and for how long (None: forever)."""

    folder: Path | None = None  # None: <data folder>/archive
    retention_days: int | None = Field(None, ge=1)


class _EndpointBase(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str | None = None
    folders: Folders = Folders()
    delivery: DeliverySettings = DeliverySettings()
    pickup: PickupSettings = PickupSettings()
    archive: ArchiveSettings = ArchiveSettings()
    retry: RetryPolicy = RetryPolicy()
    timeouts: Timeouts = Timeouts()

    @field_validator("folders")
    @classmethod
    def _relative_done_error(cls, folders: Folders) -> Folders:
        for value in (folders.done, folders.error):
            if PurePosixPath(value).is_absolute() or ".." in PurePosixPath(value).parts:
                raise ValueError("done and error are folders inside the inbox")
        return folders


class SftpEndpoint(_EndpointBase):
    type: Literal["sftp"]
    host: str
    port: int = Field(22, ge=1, le=65535)
    user: str
    auth: AuthSettings
    host_keys: HostKeySettings

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"


class LocalEndpoint(_EndpointBase):
    type: Literal["local"]
    root: Path

    @property
    def label(self) -> str:
        return f"local:{self.root}"


Endpoint = Annotated[SftpEndpoint | LocalEndpoint, Field(discriminator="type")]
_ENDPOINT_ADAPTER: TypeAdapter[SftpEndpoint | LocalEndpoint] = TypeAdapter(Endpoint)


def parse_endpoint(data: object, *, source: str) -> SftpEndpoint | LocalEndpoint:
    """Check a decoded YAML document; relative paths in it are relative to ``source``'s folder."""
    try:
        endpoint = _ENDPOINT_ADAPTER.validate_python(data)
    except PydanticValidationError as exc:
        raise EndpointConfigError(
            f"{source}: invalid endpoint: {_describe(exc)}", operation="load"
        ) from None
    return _resolve_paths(endpoint, Path(source).parent)


def load_endpoint(path: Path) -> SftpEndpoint | LocalEndpoint:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EndpointConfigError(
            f"{path}: cannot read endpoint file ({exc.strerror})", operation="load"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise EndpointConfigError(f"{path}{where}: not valid YAML", operation="load") from None
    return parse_endpoint(data, source=str(path))


def find_endpoint(
    reference: str, endpoints_dir: Path | None = None
) -> SftpEndpoint | LocalEndpoint:
    """Load ``reference``: a path to a YAML file, or a name looked up in the endpoints folder
    (``endpoints_dir``, else the ``ERENGINE_ENDPOINTS`` environment variable)."""
    direct = Path(reference)
    if direct.suffix in {".yaml", ".yml"} or direct.is_file():
        return load_endpoint(direct)
    from_env = os.environ.get(ENDPOINTS_ENV)
    folder = endpoints_dir or (Path(from_env) if from_env else None)
    if folder is None:
        raise EndpointConfigError(
            f"{reference!r} is not a file; give a path to an endpoint YAML file",
            operation="load",
            hint=f"or name an endpoints folder with --endpoints DIR or {ENDPOINTS_ENV}",
        )
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"{reference}{suffix}"
        if candidate.is_file():
            return load_endpoint(candidate)
    raise EndpointConfigError(f"no endpoint {reference!r} in {folder}", operation="load")


def _describe(exc: PydanticValidationError) -> str:
    # Only locations and messages: pydantic's own text quotes the input values, which could be
    # a password someone wrote into the file by mistake.
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(document)"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _resolve_paths(
    endpoint: SftpEndpoint | LocalEndpoint, base: Path
) -> SftpEndpoint | LocalEndpoint:
    def resolve(path: Path) -> Path:
        expanded = path.expanduser()
        return expanded if expanded.is_absolute() else base / expanded

    archive = endpoint.archive
    if archive.folder is not None:
        archive = archive.model_copy(update={"folder": resolve(archive.folder)})
    if isinstance(endpoint, LocalEndpoint):
        return endpoint.model_copy(update={"root": resolve(endpoint.root), "archive": archive})
    auth = endpoint.auth
    if auth.key_file is not None:
        auth = auth.model_copy(update={"key_file": resolve(auth.key_file)})
    host_keys = endpoint.host_keys
    if host_keys.known_hosts is not None:
        host_keys = host_keys.model_copy(update={"known_hosts": resolve(host_keys.known_hosts)})
    return endpoint.model_copy(update={"auth": auth, "host_keys": host_keys, "archive": archive})
