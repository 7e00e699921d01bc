"""Schema of XML formats: an element tree mirroring the record language.

Every element is bound (``bind``), computed (``value``), constant (``const``) or a container
(``structure``); ``for_each``/``as`` repeat it per model list item and ``when`` makes it
conditional, exactly as for records. Attributes are leaves of the same three kinds. The same
tree writes documents from model data and reads them back; see docs/iso20022.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from erengine.config.schema.base import DocumentHeader, Strict
from erengine.config.schema.records import TotalSpec

XML_NAME = r"^[A-Za-z_][A-Za-z0-9_.-]*$"


class AttributeSpec(Strict):
    """An attribute of an element: bound, computed or constant."""

    attribute: str = Field(pattern=XML_NAME, description="Attribute name, e.g. `Ccy`.")
    bind: str | None = Field(default=None, description="Model path, e.g. `payment.currency`.")
    value: str | None = Field(
        default=None, description="Expression written, and recomputed and compared on read."
    )
    const: str | None = Field(default=None, description="Constant text, checked on read.")
    default: str | None = Field(
        default=None, description="With `bind`: expression written when the model has no value."
    )
    format: str | None = Field(default=None, description="Leaf codec, e.g. `text()`.")
    optional: bool = Field(default=False, description="May be absent (no value: not written).")

    @model_validator(mode="after")
    def _one_kind(self) -> AttributeSpec:
        kinds = [k for k in ("bind", "value", "const") if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise ValueError(f"an attribute needs exactly one of bind, value or const ({found})")
        return self


class ElementSpec(Strict):
    """One element: a leaf (bind, value or const) or a container of child elements."""

    element: str = Field(pattern=XML_NAME, description="Local name, e.g. `NbOfTxs`.")
    name: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Name used in errors and totals; defaults to the element name.",
    )
    bind: str | None = Field(default=None, description="Model path of the element's text.")
    value: str | None = Field(
        default=None,
        description="Expression written, and on read recomputed and compared (counts, sums).",
    )
    const: str | None = Field(default=None, description="Constant text, checked on read.")
    default: str | None = Field(
        default=None, description="With `bind`: expression written when the model has no value."
    )
    absent: str | None = Field(
        default=None,
        description="With `bind`: the text that stands for no value (EPC `NOTPROVIDED`): "
        "written when the model has none, and read back as none.",
    )
    format: str | None = Field(
        default=None,
        description="Leaf codec of the text: `text(max_length=35, charset='epc')`, "
        "`decimal()`, `date()`, `datetime()`, `integer()`, `bool()`, `table({...})`.",
    )
    attributes: list[AttributeSpec] = Field(default_factory=list)
    structure: list[ElementSpec] | None = Field(
        default=None, description="Child elements, in document order."
    )
    for_each: str | None = Field(
        default=None, description="Repeat per item of this model list, e.g. `batch.payments`."
    )
    as_: str | None = Field(
        default=None,
        alias="as",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Name of the current item inside (default: the `name`).",
    )
    key: str | None = Field(
        default=None,
        description="With `for_each`: model path that identifies each item (e.g. "
        "`payment.end_to_end_id`); messages name it, and writing refuses duplicates.",
    )
    when: str | None = Field(
        default=None,
        description="Written only when this holds; on read, an element whose condition does "
        "not hold (evaluated when it starts, over what was read before it) is skipped.",
    )
    repeatable: bool = Field(
        default=False,
        description="Without `for_each`: may occur several times on read; the texts of a "
        "repeated leaf are joined with `join` into one value, written as one element.",
    )
    join: str = Field(default=" ", description="Separator of a repeatable leaf's texts.")
    implies: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="Model values the element stands for (e.g. `{statement.kind: report}`): "
        "set on read, checked on write.",
    )
    optional: bool = Field(
        default=False,
        description="May be absent: a leaf without a value, or a container none of whose bound "
        "descendants has a value, is left out; reading accepts its absence.",
    )
    choice: bool = Field(
        default=False,
        description="A container whose children are alternatives: exactly one is written (the "
        "first that has data) and exactly one is accepted on read.",
    )
    severity: Literal["error", "warning"] = Field(
        default="error",
        description="With `value`: a read value that does not match the document is an error "
        "(PRS209), or a `warning` in the read report and the file still reads (control counts "
        "and sums a sender got wrong; writing always computes them).",
    )
    min: int = Field(default=0, ge=0, description="Fewest repetitions accepted on read.")
    totals: dict[str, TotalSpec] = Field(
        default_factory=dict,
        description="Totals over this element's repetition (`count`/`records` name elements).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> ElementSpec:
        kinds = [k for k in ("bind", "value", "const", "structure") if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            raise ValueError(
                f"an element needs exactly one of bind, value, const or structure ({found})"
            )
        if self.default is not None and self.bind is None:
            raise ValueError("`default` goes with `bind`")
        if self.absent is not None and self.bind is None:
            raise ValueError("`absent` goes with `bind`")
        if self.severity != "error" and self.value is None:
            raise ValueError("`severity` goes with `value`")
        if self.key is not None and self.for_each is None:
            raise ValueError("`key` goes with `for_each`")
        if self.choice and self.structure is None:
            raise ValueError("`choice` goes with `structure`")
        return self


ElementSpec.model_rebuild()


class XmlFileSpec(Strict):
    type: Literal["xml"]
    namespace: str | None = Field(
        default=None, description="Namespace of every element, e.g. urn:iso:std:iso:20022:…"
    )
    prefix: str | None = Field(
        default=None, pattern=XML_NAME, description="Prefix written for it (none: default)."
    )
    root: str = Field(default="Document", pattern=XML_NAME, description="Root element.")
    schema_file: str | None = Field(
        default=None,
        alias="schema",
        description="XSD file name, looked up on the schema path (--schema-dir, "
        "ERENGINE_SCHEMA_PATH).",
    )
    encoding: Literal["utf-8"] = "utf-8"
    indent: str = Field(default="  ", description="Indentation written per level ('' for none).")
    unknown_elements: Literal["error", "ignore"] = Field(
        default="error",
        description="Reading elements the format does not declare: an error, or skipped (for "
        "reading rich bank messages into the parts the model holds).",
    )
    whitespace: Literal["preserve", "collapse"] = Field(
        default="preserve",
        description="Reading leaf texts: as they are, or with runs of whitespace (line breaks "
        "and indentation of pretty-printed bank files) collapsed to one space and trimmed.",
    )
    accept_namespaces: list[str] = Field(
        default_factory=list,
        description="Other namespaces read as this one (bank variants, files without one).",
    )


class XmlFormatDocument(DocumentHeader):
    """An XML format document."""

    kind: Literal["format"]
    model: str = Field(description="`NAME@RANGE` of the model the format binds to.")
    file: XmlFileSpec
    totals: dict[str, TotalSpec] = Field(
        default_factory=dict,
        description="Totals over the whole document (pre-aggregated on write; `count` and "
        "`records` name elements).",
    )
    structure: list[ElementSpec] = Field(min_length=1, description="Children of the root.")
