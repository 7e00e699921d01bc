"""Schema of SWIFT MT formats (MT940, MT942 ...): tags with their field notation.

A message is a sequence of tags and repeated tag groups, in order. Each tag has its SWIFT
field notation (``6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]CrLf[34x]``), which the engine compiles
once, and names its parts; every part is bound, computed, constant or ignored, as fields of
record formats are. Structured free text (the ``?20`` sub-fields of German ``:86:`` fields,
the ``/EREF/`` keys of Dutch ones) is split by sub-field schemes declared here too, so a
bank's convention is YAML. See docs/mt940.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from erengine.config.schema.base import DocumentHeader, Strict
from erengine.config.schema.records import RECORD_NAME

SWIFT_TAG = r"^(\d\d[A-Z]?|NS)$"


class SwiftPartSpec(Strict):
    """One part of a tag's notation, in notation order."""

    name: str = Field(pattern=RECORD_NAME, description="Part name, e.g. `amount`.")
    bind: str | list[str] | None = Field(
        default=None,
        description="Model path read into and written from, e.g. `entry.amount`; a list binds "
        "several paths through a `table(...)` format (the :61: mark is side and reversal).",
    )
    value: str | None = Field(
        default=None, description="Expression written on output and checked on input."
    )
    const: str | None = Field(default=None, description="Constant text, checked on input.")
    default: str | None = Field(
        default=None,
        description="Text written when the part has no value (a time-zone offset the model "
        "does not keep); not checked on read.",
    )
    format: str | None = Field(
        default=None,
        description="Leaf codec, e.g. `date('%y%m%d')`, `integer()`, `table({...})`, "
        "`iban_or_number()`. Decimal parts (`15d`) are Decimal amounts without one.",
    )
    near: str | None = Field(
        default=None,
        pattern=RECORD_NAME,
        description="For a month and day without year (`date('%m%d')`): the part whose date "
        "gives the year; the nearest such date is taken (the :61: entry date).",
    )
    prefix: str | None = Field(
        default=None,
        pattern=RECORD_NAME,
        description="The part just before, a fixed-length one with no value of its own, whose "
        "text stands in front of this part's when it is read and written: the sign (`1!x`) "
        "and hours-minutes (`4!n`) of the :13D: UTC offset are one `utc_offset()` value.",
    )

    @model_validator(mode="after")
    def _at_most_one_kind(self) -> SwiftPartSpec:
        kinds = [k for k in ("bind", "value", "const") if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError(f"a part is bound, computed or constant, not {' and '.join(kinds)}")
        if self.prefix is not None and self.prefix == self.name:
            raise ValueError("a part cannot be its own prefix")
        return self


class SubfieldBindingSpec(Strict):
    """Where the text under some sub-field keys goes."""

    keys: list[str] = Field(min_length=1, description="Keys whose texts are joined, in order.")
    join: str = Field(default="", description="Text put between the joined pieces.")
    bind: str | list[str] | None = Field(
        default=None,
        description="Model path the text is read into; a list with `iban_or_number()` or "
        "`bic_or_code()` sends the text to the first path when it is an IBAN or a BIC.",
    )
    subfields: str | None = Field(
        default=None, description="Name of a scheme that splits the joined text further."
    )
    format: str | None = Field(default=None, description="Leaf codec of the text.")
    implies: dict[str, str | int | bool] = Field(
        default_factory=dict, description="Model values set when the keys are present."
    )
    max_length: int | None = Field(
        default=None,
        ge=1,
        description="Longer text is not bound (it stays in the raw field) and is reported as "
        "a warning: banks run the next key into an EREF+ without its separator.",
    )

    @model_validator(mode="after")
    def _bind_or_split(self) -> SubfieldBindingSpec:
        if (self.bind is None) == (self.subfields is None):
            raise ValueError("a sub-field binding needs exactly one of bind or subfields")
        return self


class SubfieldSchemeSpec(Strict):
    """How free text is cut into keyed sub-fields: ``?20text?21more`` or ``/EREF/x/NAME/y``.

    A key starts a sub-field where ``prefix`` + key + ``suffix`` stands in the text; only the
    listed keys count, so other text with the prefix character stays in the value.
    """

    prefix: str = Field(default="", description="Text before each key, e.g. `?` or `/`.")
    suffix: str = Field(default="", description="Text after each key, e.g. `/` or `+`.")
    keys: list[str] = Field(min_length=1, description="The keys, e.g. `['20', '21']`.")
    unwrap: bool = Field(
        default=True,
        description="Remove the line breaks of the field first (banks wrap at 65 characters "
        "wherever the line ends, also inside a key).",
    )
    leading: SubfieldLeadingSpec | None = Field(
        default=None, description="Text before the first key (the German GVC code)."
    )
    key_length: int | None = Field(
        default=None,
        ge=1,
        description="Writing: at most this many characters under one key; a longer text goes "
        "on under the binding's next keys (German ?20 ?21 ...: 27). Without it a text is "
        "written whole under the binding's first key.",
    )
    fields: list[SubfieldBindingSpec] = Field(default_factory=list)


class SubfieldLeadingSpec(Strict):
    length: int | None = Field(
        default=None, ge=1, description="Characters taken from the start (3 for a GVC)."
    )
    digits_only: bool = Field(
        default=False, description="Only when those characters are all digits."
    )
    bind: str = Field(description="Model path the leading text is read into.")
    implies: dict[str, str | int | bool] = Field(default_factory=dict)


SubfieldSchemeSpec.model_rebuild()


class SwiftTagSpec(Strict):
    """One tag of the message, e.g. ``:61:``."""

    tag: str = Field(pattern=SWIFT_TAG, description="The tag, e.g. `61` or `60F`.")
    notation: str = Field(description="SWIFT field notation, e.g. `1!a6!n3!a15d`.")
    parts: list[SwiftPartSpec] = Field(
        min_length=1, description="One entry per part of the notation, in order."
    )
    choices: dict[str, list[str]] = Field(
        default_factory=dict, description="Allowed values per part, e.g. the mark C, D, RC, RD."
    )
    optional: bool = Field(default=False, description="The tag may be absent.")
    when: str | None = Field(
        default=None,
        description="Condition for writing the tag (an optional tag is otherwise written when "
        "one of its parts has a value); reading does not use it.",
    )
    repeat: bool = Field(default=False, description="The tag may stand several times in a row.")
    one_of: str | None = Field(
        default=None,
        pattern=RECORD_NAME,
        description="Tags sharing this label are alternatives: exactly one stands (60F or 60M).",
    )
    for_each: str | None = Field(
        default=None,
        description="Each occurrence is an item of this model list (`statement.balances`).",
    )
    as_: str | None = Field(
        default=None,
        alias="as",
        pattern=RECORD_NAME,
        description="Name of the item inside the tag (and in later checks), e.g. `opening`.",
    )
    implies: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="Item values the tag stands for (`{type: opening}`): set on read; on "
        "write the tag is written for the items that have them.",
    )
    subfields: str | None = Field(
        default=None, description="Scheme (under `subfields`) splitting the first text part."
    )
    any_characters: bool = Field(
        default=False,
        description="Free-text sets x, y and z take any printable character (umlauts, Latin-2 "
        "text) on read; writing still spells them in the SWIFT set.",
    )
    missing: Literal["error", "warning"] = Field(
        default="error",
        description="A mandatory tag that is absent: `warning` reads the message without it "
        "and reports that (a statement cut off before its closing balance).",
    )
    tolerant_notation: str | None = Field(
        default=None,
        description="A wider notation with the same parts, read when the field does not fit "
        "`notation` and reported as a warning (a 10-digit statement number, amounts padded "
        "past 15); writing keeps `notation`.",
    )
    rejoin_lines: bool = Field(
        default=False,
        description="A field that does not fit is read again with its first line break "
        "removed (a first line wrapped in the middle of a value), reported as a warning.",
    )

    @model_validator(mode="after")
    def _list_needs_name(self) -> SwiftTagSpec:
        if self.implies and self.for_each is None:
            raise ValueError("`implies` goes with `for_each`")
        if self.for_each is not None and self.as_ is None:
            raise ValueError("`for_each` needs `as`: the item's name in bindings")
        return self


class SwiftEnvelopeBlockSpec(SwiftTagSpec):
    """A block of the SWIFT envelope (``{1:F01…}``), declared like a tag: its notation and
    parts, written before block 4 (block 5 after ``-}``) and read when the file has it."""

    tag: str = Field(
        pattern=r"^[1235]$",
        description="The block: 1 basic header, 2 application header, 3 user header, 5 trailer.",
    )


class SwiftDerivedSpec(Strict):
    """A model value a group's items take from elsewhere (an entry's statement currency)."""

    bind: str = Field(description="Model path set on read, checked on write.")
    value: str = Field(description="Expression giving the value.")


class SwiftGroupSpec(Strict):
    """Tags repeated together for each item of a model list (``:61:`` with its ``:86:``)."""

    group: str = Field(pattern=RECORD_NAME, description="Group name, e.g. `entry`.")
    for_each: str = Field(description="Model list of the items, e.g. `statement.entries`.")
    as_: str | None = Field(default=None, alias="as", pattern=RECORD_NAME)
    first_item: dict[str, str] = Field(
        default_factory=dict,
        description="Names for the first item of a list inside each item, created on read "
        "(`{detail: entry.details}`: MT940 has one transaction detail per entry).",
    )
    derived: list[SwiftDerivedSpec] = Field(default_factory=list)
    tags: list[SwiftTagSpec] = Field(min_length=1, description="The first tag starts an item.")


def _item_kind(item: Any) -> str:
    if isinstance(item, dict):
        return "group" if "group" in item else "tag"
    return "group" if isinstance(item, SwiftGroupSpec) else "tag"


SwiftItem = Annotated[
    Annotated[SwiftTagSpec, Tag("tag")] | Annotated[SwiftGroupSpec, Tag("group")],
    Discriminator(_item_kind),
]


class SwiftTotalSpec(Strict):
    """A sum over a group's items, per message: ``{sum: '{{ ... }}', group: entry}``."""

    sum: str = Field(description="Expression added up for each item of `group`.")
    group: str = Field(pattern=RECORD_NAME)


class SwiftCheckSpec(Strict):
    """A computed check at the end of each message: `found` must equal `expected`."""

    name: str = Field(pattern=RECORD_NAME)
    expected: str
    found: str
    when: str | None = Field(default=None, description="Only checked when this holds.")
    severity: Literal["error", "warning"] = Field(
        default="error",
        description="`warning`: reported in the read report, the file still reads (real banks "
        "get closing balances wrong).",
    )


SwiftEncoding = Literal["ascii", "latin-1", "utf-8", "cp1252", "iso8859-2", "cp1250", "cp852"]


class SwiftFileSpec(Strict):
    type: Literal["swift"]
    message: str = Field(pattern=r"^\d{3}$", description="Message type, e.g. `940`.")
    encoding: SwiftEncoding = "utf-8"
    newline: Literal["\r\n", "\n"] = Field(default="\r\n", description="Written line end.")
    transliterate: bool = Field(
        default=True,
        description="On write, spell characters outside the SWIFT set in it (`ä` -> `ae`); "
        "false refuses them.",
    )
    strip_trailing_spaces: bool = Field(
        default=False, description="Remove blanks that some banks pad lines with."
    )
    tabs_as_spaces: bool = Field(
        default=False, description="Read a tab inside a field as a blank (ING's :86:)."
    )
    lenient_decimals: bool = Field(
        default=False,
        description="Read decimals without their comma (`500` for `500,`), as Knab writes.",
    )
    skip_tags: list[str] = Field(
        default_factory=list,
        description="Tags ignored wherever they stand, e.g. the non-SWIFT `NS`.",
    )
    impossible_dates: Literal["refuse", "month_end"] = Field(
        default="refuse",
        description="A date whose day is past its month's end (`160230`, German banks' value "
        "dates counted in 30-day months): `month_end` reads the month's last day and reports "
        "a warning with the text found.",
    )
    unexpected_tags: Literal["refuse", "skip"] = Field(
        default="refuse",
        description="A tag not expected where it stands: `skip` leaves it out and reports a "
        "warning with its text (a tag mangled in a damaged file).",
    )


class SwiftPagesSpec(Strict):
    """When one statement is split over several messages, and how its pages are told."""

    continued: str = Field(
        description="At the end of a message: its statement goes on in the next message "
        "(e.g. the closing balance is an interim one, :62M:)."
    )
    continues: str = Field(
        description="Before a message's first repeated group: it continues the statement "
        "held (e.g. its opening balance is an interim one, :60M:)."
    )
    same: str = Field(description="A value both pages must share (account and statement number).")


class SwiftMessageSpec(Strict):
    """The message: one item of a model list per message."""

    for_each: str = Field(description="Model list of the messages' items, e.g. `statements`.")
    as_: str = Field(alias="as", pattern=RECORD_NAME)
    implies: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="Item values the message type stands for (`{kind: report}` for MT942): "
        "set on read.",
    )
    tags: list[SwiftItem] = Field(min_length=1)
    totals: dict[str, SwiftTotalSpec] = Field(default_factory=dict)
    checks: list[SwiftCheckSpec] = Field(default_factory=list)
    pages: SwiftPagesSpec | None = Field(
        default=None, description="Join statements split over several messages (:28C: pages)."
    )
    envelope: list[SwiftEnvelopeBlockSpec] = Field(
        default_factory=list,
        description="Envelope blocks written around each message (`{1:…}{2:…}{4:` … `-}`) and "
        "read when present; none: messages are written bare, and any envelope is accepted.",
    )
    skip_unless_any: list[str] = Field(
        default_factory=list,
        description="A message holding none of these tags makes no item: it is skipped and "
        "reported as a warning with what it held (a file of loose balance lines). Must list "
        "the first tag of every group, whose items stream before the message ends.",
    )


class SwiftFormatDocument(DocumentHeader):
    """A SWIFT MT format document (MT940, MT942 ...)."""

    kind: Literal["format"]
    model: str = Field(description="`NAME@RANGE` of the model the format binds to.")
    file: SwiftFileSpec
    message: SwiftMessageSpec
    subfields: dict[str, SubfieldSchemeSpec] = Field(
        default_factory=dict, description="Named sub-field schemes for structured free text."
    )
