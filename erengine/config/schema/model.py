"""Schema of model documents (`kind: model`): records of typed fields, lists and codes.

A model names the data a format reads and writes, independent of any file layout. Each field
is one of the types below, chosen by its `type` key, so a mistake is reported against the one
type the author meant. See docs/models.md for the language and its canonical data form.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, model_validator

from erengine.config.schema.base import DocumentHeader, Strict

RECORD_NAME = r"^[A-Z][A-Za-z0-9]*$"
FIELD_NAME = r"^[a-z][a-z0-9_]*$"

Charset = Literal["ascii", "latin-1", "swift-x", "epc", "digits", "alnum"]
CodeListName = Literal["iso4217", "iso4217-historic", "iso3166"]


class FieldCommon(Strict):
    """Keys every field type has."""

    required: bool = Field(
        default=True,
        description="Whether the value must be present. An absent optional value is left out "
        "of the data (JSON `null` is accepted on input and means absent).",
    )
    default: Any = Field(
        default=None,
        description='Value (in JSON form, e.g. `"credit"` or `"0.00"`) used when the input '
        "leaves the field out.",
    )
    description: str | None = Field(default=None, description="What the field means.")


class TextField(FieldCommon):
    """Text: never empty, never with control characters; bounded length and characters."""

    type: Literal["text"]
    max_length: int | None = Field(default=None, ge=1, description="Most characters allowed.")
    min_length: int = Field(
        default=1,
        ge=1,
        description="Fewest characters (at least 1: an empty text is an absent value).",
    )
    charset: Charset | None = Field(
        default=None,
        description="Named set of allowed characters: `ascii` (printable), `latin-1` "
        "(printable), `swift-x` and `epc` (a-z A-Z 0-9 / - ? : ( ) . , ' + space), "
        "`digits`, `alnum` (A-Z a-z 0-9).",
    )
    pattern: str | None = Field(
        default=None,
        description="Regular expression the whole value must match, e.g. `^[A-Z]{2}[0-9]{2}`.",
    )


class MoneyField(FieldCommon):
    """An amount of money: a Decimal whose decimals follow its currency, never a float."""

    type: Literal["money"]
    currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Fixed ISO 4217 currency of every amount, e.g. `USD` (decimals from ISO 4217).",
    )
    currency_field: str | None = Field(
        default=None,
        pattern=FIELD_NAME,
        description="Sibling field holding each amount's ISO 4217 currency, e.g. `currency`.",
    )
    exponent: int | None = Field(
        default=None, ge=0, le=6, description="Fixed number of decimals, without a currency."
    )
    minimum: str | None = Field(
        default=None, description='Smallest amount allowed, as text, e.g. `"0"`.'
    )
    maximum: str | None = Field(
        default=None, description='Largest amount allowed, as text, e.g. `"99999999.99"`.'
    )
    max_digits: int = Field(
        default=18, ge=1, le=38, description="Most digits in total (ISO 20022 allows 18)."
    )

    @model_validator(mode="after")
    def _one_exponent_source(self) -> MoneyField:
        sources = ("currency", "currency_field", "exponent")
        given = [key for key in sources if getattr(self, key) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"money needs exactly one of currency, currency_field or exponent (found: {found})"
            )
        return self


class DecimalField(FieldCommon):
    """An exact decimal number (rates, quantities): a Decimal, never a float."""

    type: Literal["decimal"]
    scale: int | None = Field(
        default=None, ge=0, le=18, description="Most digits after the decimal point."
    )
    minimum: str | None = Field(default=None, description="Smallest value, as text.")
    maximum: str | None = Field(default=None, description="Largest value, as text.")
    max_digits: int = Field(default=18, ge=1, le=38, description="Most digits in total.")


class IntegerField(FieldCommon):
    """A whole number."""

    type: Literal["integer"]
    minimum: int | None = Field(default=None, description="Smallest value allowed.")
    maximum: int | None = Field(default=None, description="Largest value allowed.")


class DateField(FieldCommon):
    """A calendar date; ISO 8601 `YYYY-MM-DD` in JSON."""

    type: Literal["date"]


class DateTimeField(FieldCommon):
    """A date and time; ISO 8601 in JSON, e.g. `2024-03-01T09:30:00` or with `+01:00`."""

    type: Literal["datetime"]
    timezone: Literal["naive", "aware", "any"] = Field(
        default="any",
        description="`naive`: local time without offset (NACHA); `aware`: with a UTC offset "
        "(camt); `any`: either.",
    )


class BooleanField(FieldCommon):
    """true or false."""

    type: Literal["boolean"]


class CodeField(FieldCommon):
    """One value out of a closed list of codes."""

    type: Literal["code"]
    codes: list[str] | None = Field(
        default=None, min_length=1, description="The allowed codes, e.g. `[credit, debit]`."
    )
    code_list: CodeListName | None = Field(
        default=None,
        description="A code list shipped with erengine: `iso4217` currencies, "
        "`iso4217-historic` the same with withdrawn ones (DEM, FRF ... in archived statements), "
        "`iso3166` alpha-2 countries.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> CodeField:
        if (self.codes is None) == (self.code_list is None):
            raise ValueError("a code field needs exactly one of codes or code_list")
        return self


class RecordField(FieldCommon):
    """A nested record, e.g. the creditor of a payment."""

    type: Literal["record"]
    of: str = Field(pattern=RECORD_NAME, description="Name of the record, e.g. `Party`.")


LeafTypes: TypeAlias = (
    TextField
    | MoneyField
    | DecimalField
    | IntegerField
    | DateField
    | DateTimeField
    | BooleanField
    | CodeField
)
LeafField = Annotated[LeafTypes, Field(discriminator="type")]


class ListField(FieldCommon):
    """A list of records (`of: Payment`) or of leaf values (`of: {type: text, ...}`)."""

    type: Literal["list"]
    of: Annotated[str, Field(pattern=RECORD_NAME)] | LeafField = Field(
        description="Record name of the items, or the type of leaf items."
    )
    min_items: int = Field(default=0, ge=0, description="Fewest items.")
    max_items: int | None = Field(default=None, ge=1, description="Most items.")

    @model_validator(mode="after")
    def _bounds(self) -> ListField:
        if self.max_items is not None and self.max_items < self.min_items:
            raise ValueError(f"max_items {self.max_items} is below min_items {self.min_items}")
        return self


FieldSpec = Annotated[LeafTypes | RecordField | ListField, Field(discriminator="type")]


class RecordSpec(Strict):
    """A record: named fields in the order formats and CSV columns list them."""

    description: str | None = Field(default=None, description="What the record stands for.")
    fields: dict[Annotated[str, Field(pattern=FIELD_NAME)], FieldSpec] = Field(
        min_length=1, description="Field name -> field type, in order."
    )


class ModelDocument(DocumentHeader):
    """A data model document."""

    kind: Literal["model"]
    root: str = Field(pattern=RECORD_NAME, description="The record a whole file holds.")
    records: dict[Annotated[str, Field(pattern=RECORD_NAME)], RecordSpec] = Field(
        min_length=1, description="Record name -> record."
    )
