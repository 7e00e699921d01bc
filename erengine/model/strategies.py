"""hypothesis strategies generated from a `ModelPlan`: valid typed data for property tests.

`data_for(plan)` draws whole documents in canonical typed form (what `plan.from_json` returns):
money with exactly its currency's decimals, text within its length and character set, codes
from their list, lists within their bounds, defaults always present, optional records either
absent or with something in them. Every drawn value passes `plan.check`.

Texts never start or end with a space: fixed-width files pad with spaces, so such values could
not come back unchanged from any format. Format tests narrow further with `overrides`, keyed by
the dotted model path (`{"batches.payments.amount": st.decimals(...)}`), and `text_charset`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from erengine.model.charsets import CHARSETS, Charset
from erengine.model.leaves import (
    BooleanType,
    CodeType,
    DateTimeType,
    DateType,
    DecimalType,
    IntegerType,
    LeafType,
    MoneyType,
    TextType,
)
from erengine.model.plan import ModelPlan
from erengine.model.shapes import FieldPlan, ListOf, RecordPlan, RecordRef

_UNBOUNDED_TEXT = 40  # longest text drawn where the model sets no max_length
_UNBOUNDED_DECIMALS = 4  # most decimals drawn for a decimal without scale
_OFFSETS = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]


def data_for(
    plan: ModelPlan,
    *,
    max_items: int = 2,
    max_depth: int = 4,
    text_charset: str | None = None,
    overrides: Mapping[str, st.SearchStrategy[Any]] | None = None,
    first_date: date = date(2000, 1, 1),
    last_date: date = date(2099, 12, 31),
) -> st.SearchStrategy[dict[str, Any]]:
    """Documents of `plan` in typed form.

    max_items: lists get at most this many items beyond their min_items (and never more than
    their max_items). max_depth: optional records nested deeper are left out (recursive models).
    text_charset: a named charset (`ascii`, `swift-x`, ...) for texts the model leaves open.
    first_date/last_date: the range of dates and datetimes (NACHA writes two-digit years).
    """
    builder = _Builder(
        plan,
        max_items=max_items,
        max_depth=max_depth,
        open_charset=CHARSETS[text_charset] if text_charset else None,
        overrides=dict(overrides or {}),
        dates=(first_date, last_date),
    )
    return builder.record(plan.root_record, "", 0)


class _Builder:
    def __init__(
        self,
        plan: ModelPlan,
        *,
        max_items: int,
        max_depth: int,
        open_charset: Charset | None,
        overrides: dict[str, st.SearchStrategy[Any]],
        dates: tuple[date, date],
    ) -> None:
        self.plan = plan
        self.max_items = max_items
        self.max_depth = max_depth
        self.open_charset = open_charset
        self.overrides = overrides
        self.dates = dates
        unknown = [path for path in overrides if not self._known_path(path)]
        if unknown:
            raise ValueError(f"overrides name paths the model does not have: {unknown}")

    def _known_path(self, path: str) -> bool:
        try:
            self.plan.field_at(path)
        except KeyError:
            return False
        return True

    def record(self, record: RecordPlan, prefix: str, depth: int) -> st.SearchStrategy[Any]:
        # Amounts whose decimals follow a sibling currency are drawn after that currency.
        ordered = sorted(record.fields, key=_follows_currency)
        plain = {
            field.name: self.field(field, f"{prefix}{field.name}", depth)
            for field in ordered
            if not _follows_currency(field) or f"{prefix}{field.name}" in self.overrides
        }

        @st.composite
        def build(draw: st.DrawFn) -> dict[str, Any]:
            result: dict[str, Any] = {}
            for field in ordered:
                optional = not field.required and not field.has_default
                if optional and not draw(st.booleans()):
                    continue
                strategy = plain.get(field.name)
                if strategy is None:
                    assert isinstance(field.shape, MoneyType)
                    strategy = self.money(field.shape, result)
                value = draw(strategy)
                if value is None or (optional and value in ({}, [])):
                    continue  # too deep, or an empty optional container: absent in canonical data
                result[field.name] = value
            return {f.name: result[f.name] for f in record.fields if f.name in result}

        return build()

    def field(self, field: FieldPlan, path: str, depth: int) -> st.SearchStrategy[Any]:
        if path in self.overrides:
            return self.overrides[path]
        shape = field.shape
        if isinstance(shape, RecordRef):
            if depth >= self.max_depth and not field.required:
                return st.none()
            return st.deferred(
                lambda: self.record(self.plan.record(shape.name), f"{path}.", depth + 1)
            )
        if isinstance(shape, ListOf):
            return self.items(shape, path, depth)
        return self.leaf(shape)

    def items(self, shape: ListOf, path: str, depth: int) -> st.SearchStrategy[Any]:
        most = shape.min_items if depth >= self.max_depth else shape.min_items + self.max_items
        if shape.max_items is not None:
            most = min(most, shape.max_items)
        item = shape.item
        if isinstance(item, RecordRef):
            items = st.deferred(
                lambda: self.record(self.plan.record(item.name), f"{path}.", depth + 1)
            )
        else:
            items = self.leaf(item)
        return st.lists(items, min_size=shape.min_items, max_size=most)

    def leaf(self, leaf: LeafType) -> st.SearchStrategy[Any]:
        if isinstance(leaf, TextType):
            return self.text(leaf)
        if isinstance(leaf, CodeType):
            return st.sampled_from(sorted(leaf.codes))
        if isinstance(leaf, DecimalType):
            return self.money(leaf, {})
        if isinstance(leaf, IntegerType):
            return st.integers(leaf.minimum, leaf.maximum)
        if isinstance(leaf, BooleanType):
            return st.booleans()
        if isinstance(leaf, DateTimeType):
            return self.datetime(leaf)
        assert isinstance(leaf, DateType)
        return st.dates(*self.dates)

    def text(self, leaf: TextType) -> st.SearchStrategy[str]:
        charset = leaf.charset
        if charset.name == "text" and self.open_charset is not None:
            charset = self.open_charset
        longest = leaf.max_length or max(leaf.min_length, _UNBOUNDED_TEXT)
        if leaf.pattern is not None:
            drawn = st.from_regex(leaf.pattern, fullmatch=True)
        else:
            drawn = st.text(_alphabet(charset), min_size=leaf.min_length, max_size=longest)
        return drawn.filter(
            lambda text: (
                leaf.min_length <= len(text) <= longest
                and text == text.strip()
                and charset.first_offending(text) is None
                and (leaf.pattern is None or leaf.pattern.fullmatch(text) is not None)
            )
        )

    def money(self, leaf: DecimalType, record: Mapping[str, Any]) -> st.SearchStrategy[Decimal]:
        scale = leaf.scale_in(record)
        if scale is None:
            return st.integers(0, _UNBOUNDED_DECIMALS).flatmap(lambda s: _decimals(leaf, s))
        return _decimals(leaf, scale)

    def datetime(self, leaf: DateTimeType) -> st.SearchStrategy[datetime]:
        first = datetime.combine(self.dates[0], time())
        last = datetime.combine(self.dates[1], time(23, 59, 59))
        naive = st.datetimes(first, last).map(lambda moment: moment.replace(microsecond=0, fold=0))
        aware = st.tuples(naive, st.sampled_from(_OFFSETS)).map(
            lambda pair: pair[0].replace(tzinfo=pair[1])
        )
        if leaf.timezone == "naive":
            return naive
        if leaf.timezone == "aware":
            return aware
        return naive | aware


def _follows_currency(field: FieldPlan) -> bool:
    return isinstance(field.shape, MoneyType) and field.shape.currency_field is not None


@lru_cache(maxsize=256)  # drawn per record for currency-dependent amounts: build each once
def _decimals(leaf: DecimalType, scale: int) -> st.SearchStrategy[Decimal]:
    """Decimals with exactly `scale` decimals inside the leaf's digits and range."""
    unit = Decimal(1).scaleb(-scale)
    biggest = 10 ** min(leaf.max_digits, 15) - 1  # wide enough for any bank file
    low = -biggest if leaf.minimum is None else max(-biggest, _units(leaf.minimum, unit, up=True))
    high = biggest if leaf.maximum is None else min(biggest, _units(leaf.maximum, unit, up=False))
    return st.integers(low, high).map(lambda units: (Decimal(units) * unit).quantize(unit))


def _units(bound: Decimal, unit: Decimal, *, up: bool) -> int:
    """`bound` counted in `unit`s, rounded inward so the value stays inside the bound."""
    units = bound / unit
    whole = int(units)
    if up and units > whole:
        return whole + 1
    if not up and units < whole:
        return whole - 1
    return whole


def _alphabet(charset: Charset) -> st.SearchStrategy[str]:
    if charset.members is not None:
        return st.sampled_from(sorted(charset.members))
    return st.characters(
        min_codepoint=charset.low,
        max_codepoint=min(charset.high, 0x2FFF),  # the common scripts; enough to find bugs
        exclude_categories=("Cc", "Cs", "Co", "Cn"),  # Cc: the control characters no text has
    )
