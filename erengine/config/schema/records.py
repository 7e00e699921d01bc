"""Schema of record-oriented text formats: fixed-width and delimited files.

A format is a tree of records and groups. Every field is exactly one of four kinds:
bound (``bind``), computed (``value``), constant (``const``) or filler (``fill``). The same
tree writes files from model data and reads them back; see docs/formats.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from erengine.config.schema.base import DocumentHeader, Strict

RECORD_NAME = r"^[a-z][a-z0-9_]*$"


class FieldSpec(Strict):
    """One field of a record."""

    name: str | None = Field(
        default=None,
        pattern=RECORD_NAME,
        description="Field name, used in errors, totals (`record.NAME`) and `parse` output; "
        "defaults to the last part of `bind`.",
    )
    len: int | None = Field(default=None, ge=1, le=100_000, description="Width (fixed files).")
    start: int | None = Field(
        default=None, ge=1, description="1-based start column; checked against the layout."
    )
    bind: str | list[str] | None = Field(
        default=None,
        description="Model path written from and read into, e.g. `payment.amount`; a list binds "
        "several paths to one field through a `table(...)` format.",
    )
    value: str | None = Field(
        default=None,
        description="Expression written on output and recomputed and compared on input.",
    )
    const: str | None = Field(
        default=None, description="Constant text; also identifies the record when reading."
    )
    default: str | None = Field(
        default=None,
        description="With `bind`: expression written when the model has no value (e.g. a "
        "sequence number); what the file holds is read back into the model.",
    )
    fill: str | None = Field(
        default=None,
        min_length=1,
        max_length=1,
        description="Filler character repeated over the whole field (reserved space).",
    )
    format: str | None = Field(
        default=None,
        description="Leaf codec, e.g. `amount(decimals=2)`, `date('%y%m%d')`, `integer()`.",
    )
    align: Literal["left", "right"] | None = Field(
        default=None, description="Alignment inside the field; numbers default to right."
    )
    pad: str | None = Field(
        default=None,
        min_length=1,
        max_length=1,
        description="Padding character; numbers default to `0`, text to a space.",
    )
    optional: bool = Field(
        default=False,
        description="A blank field reads as absent, and an absent value writes blanks.",
    )
    deferred: bool = Field(
        default=False,
        description="With `value` (or `default`) in fixed-width files: computed once the list "
        "item holding the record is complete, and on write put back in place, so a header can "
        "carry totals of what follows it; on read the check waits for the item likewise.",
    )
    truncate: bool = Field(
        default=False,
        description="Cut values longer than the field (reported); otherwise too long is an error.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> FieldSpec:
        kinds = [k for k in ("bind", "value", "const", "fill") if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise ValueError(
                f"a field needs exactly one of bind, value, const or fill (found: {found})"
            )
        if self.default is not None and self.bind is None:
            raise ValueError("`default` goes with `bind`")
        if self.deferred and self.value is None and self.default is None:
            raise ValueError("`deferred` goes with `value` or `default`")
        return self


class RecordSpec(Strict):
    """A record (one line, or one fixed-length block)."""

    record: str = Field(pattern=RECORD_NAME, description="Record name, e.g. `entry`.")
    when: str | None = Field(
        default=None,
        description="Condition for writing the record; a conditional record is optional on read.",
    )
    optional: bool = Field(default=False, description="The record may be absent when reading.")
    implies: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="Model values the record stands for without a field (e.g. "
        "`{payment.currency: USD}`): set on read, and checked on write.",
    )
    fields: list[FieldSpec] = Field(min_length=1)


class TotalSpec(Strict):
    """A running total over the records of its group: a count or a sum."""

    count: list[str] | None = Field(default=None, description="Count the records with these names.")
    sum: str | None = Field(
        default=None,
        description="Expression summed over `records`; `record.FIELD` is the record's value.",
    )
    records: list[str] | None = Field(default=None, description="Records the sum runs over.")
    when: str | None = Field(default=None, description="Only records where this holds count.")

    @model_validator(mode="after")
    def _count_or_sum(self) -> TotalSpec:
        if (self.count is None) == (self.sum is None):
            raise ValueError("a total needs exactly one of count or sum")
        if self.sum is not None and not self.records:
            raise ValueError("a sum needs `records`: the record names it runs over")
        return self


class GroupSpec(Strict):
    """Records that belong together, repeated per item of a model list with `for_each`."""

    group: str = Field(pattern=RECORD_NAME, description="Group name, e.g. `batch`.")
    for_each: str | None = Field(
        default=None, description="Model path of the list repeated, e.g. `batch.payments`."
    )
    as_: str | None = Field(
        default=None,
        alias="as",
        pattern=RECORD_NAME,
        description="Name of the current item inside the group (default: the group name).",
    )
    when: str | None = Field(default=None, description="Condition for writing the group.")
    optional: bool = Field(default=False, description="The group may be absent when reading.")
    min: int = Field(default=0, ge=0, description="Fewest repetitions accepted on read.")
    totals: dict[str, TotalSpec] = Field(
        default_factory=dict, description="Running totals, reset for each repetition."
    )
    structure: list[StructureItem] = Field(min_length=1)


def _structure_kind(item: Any) -> str | None:
    if isinstance(item, dict):
        return "group" if "group" in item else "record"
    return "group" if isinstance(item, GroupSpec) else "record"


StructureItem = Annotated[
    Annotated[RecordSpec, Tag("record")] | Annotated[GroupSpec, Tag("group")],
    Discriminator(_structure_kind),
]
GroupSpec.model_rebuild()


class BlockSpec(Strict):
    """Blocking: the record count is padded to a multiple of `size` with filler records."""

    size: int = Field(ge=1, description="Records per block, e.g. 10 for NACHA.")
    filler: str = Field(min_length=1, max_length=1, description="Character of filler records.")


Encoding = Literal["ascii", "latin-1", "utf-8", "cp1252", "iso8859-2", "cp037", "cp500"]


class FixedFileSpec(Strict):
    type: Literal["fixed"]
    width: int = Field(ge=1, le=100_000, description="Characters per record.")
    encoding: Encoding = "ascii"
    newline: Literal["\r\n", "\n", ""] = Field(
        default="\r\n", description="Written after each record; `''` for fixed-length blocks."
    )
    final_newline: bool = Field(default=True, description="End the last record with a newline.")
    block: BlockSpec | None = None
    short_records: Literal["error", "pad"] = Field(
        default="error",
        description="Reading a record shorter than `width`: an error, or pad it with spaces "
        "(reported as a warning) for banks that trim trailing blanks.",
    )


class DelimitedFileSpec(Strict):
    type: Literal["delimited"]
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', min_length=1, max_length=1)
    quoting: Literal["minimal", "all", "none"] = "minimal"
    header: list[str] | None = Field(
        default=None, description="Column names written as the first row and checked on read."
    )
    encoding: Encoding = "utf-8"
    newline: Literal["\r\n", "\n"] = "\r\n"
    final_newline: bool = True
    record_terminator: str | None = Field(
        default=None, description="Text ending each record before the newline (BAI2: `/`)."
    )
    continuation: str | None = Field(
        default=None,
        description="First-column value of continuation records whose fields extend the "
        "previous record (BAI2: `88`).",
    )


class RecordFormatDocument(DocumentHeader):
    """A fixed-width or delimited format document."""

    kind: Literal["format"]
    model: str = Field(description="`NAME@RANGE` of the model the format binds to.")
    file: Annotated[FixedFileSpec | DelimitedFileSpec, Field(discriminator="type")]
    totals: dict[str, TotalSpec] = Field(
        default_factory=dict, description="Running totals over the whole file."
    )
    structure: list[StructureItem] = Field(min_length=1)
