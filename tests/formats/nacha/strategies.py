"""hypothesis strategies for payment files that NACHA can carry.

The payments model allows more than a NACHA file holds (IBANs, addresses, 140-character
names); these draw model data within NACHA's fields: ASCII text no wider than its field,
routing numbers with valid check digits, amounts below 100 million dollars, dates in
NACHA's two-digit-year range and times to the minute.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from erengine.expr.functions.checks import aba_check_digit

PRINTABLE = string.ascii_letters + string.digits + " .,-/&'#()*+:;=?@"


def text(width: int, alphabet: str = PRINTABLE) -> st.SearchStrategy[str]:
    """Non-blank text that fits ``width``; no edge spaces (fixed-width padding strips them)."""
    return st.text(alphabet, min_size=1, max_size=width).map(str.strip).filter(bool)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


routing_numbers = st.text(string.digits, min_size=8, max_size=8).map(
    lambda eight: eight + str(aba_check_digit(eight))
)
amounts = st.integers(0, 9_999_999_999).map(lambda cents: Decimal(cents).scaleb(-2))
moments = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31, 23, 59)).map(
    lambda moment: moment.replace(second=0, microsecond=0)
)


def _without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


@st.composite
def payments(draw: st.DrawFn) -> dict[str, Any]:
    direction = draw(st.sampled_from(["credit", "debit"]))
    account_type = draw(st.sampled_from(["checking", "savings", "general_ledger", "loan"]))
    prenote = (
        None if (account_type, direction) == ("loan", "debit") else draw(optional(st.just(True)))
    )
    return _without_none(
        amount=Decimal("0.00") if prenote else draw(amounts),
        currency="USD",
        direction=direction,
        prenote=prenote,
        creditor=_without_none(name=draw(text(22)), id=draw(optional(text(15)))),
        creditor_account={"number": draw(text(17, string.digits + "-")), "type": account_type},
        creditor_agent={"routing_number": draw(routing_numbers)},
        discretionary_data=draw(optional(text(2, string.ascii_uppercase))),
        addenda=draw(optional(text(80))),
        trace_number=draw(optional(st.text(string.digits, min_size=15, max_size=15))),
    )


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    return _without_none(
        batch_id=draw(optional(st.text(string.digits, min_size=7, max_size=7))),
        payment_method="TRF",
        local_instrument=draw(st.sampled_from(["PPD", "CCD", "WEB", "TEL"])),
        description=draw(text(10)),
        discretionary_data=draw(optional(text(20))),
        descriptive_date=draw(optional(text(6))),
        service_class_code=draw(optional(st.sampled_from(["200", "220", "225"]))),
        requested_date=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
        debtor={"name": draw(text(16)), "id": draw(text(10))},
        debtor_agent={"routing_number": draw(routing_numbers)},
        payments=draw(st.lists(payments(), min_size=1, max_size=4)),
    )


@st.composite
def payment_files(draw: st.DrawFn) -> dict[str, Any]:
    return _without_none(
        created_at=draw(moments),
        origin=_without_none(
            id=draw(text(10, string.digits + string.ascii_uppercase)),
            name=draw(optional(text(23))),
        ),
        destination=_without_none(id=draw(text(10, string.digits)), name=draw(optional(text(23)))),
        file_id_modifier=draw(optional(st.sampled_from(string.ascii_uppercase + string.digits))),
        reference_code=draw(optional(text(8))),
        batches=draw(st.lists(batches(), min_size=1, max_size=3)),
    )
