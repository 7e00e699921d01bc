"""hypothesis strategies for statements that the camt formats carry.

Only what the camt formats declare is drawn (no MT940-only fields); texts are printable
without edge or repeated spaces (reading collapses whitespace), amounts have their currency's
decimals, and a detail's counterparty is whoever the entry's side names.
"""

from __future__ import annotations

import string
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from .strategies import bics, ibans, moments, optional

WORDS = string.ascii_letters + string.digits + "/-?:().,'+&äöüéß"
_EXPONENT = {"EUR": 2, "USD": 2, "JPY": 0, "KWD": 3, "CHF": 2}
currencies = st.sampled_from(sorted(_EXPONENT))
days = st.dates(date(2000, 1, 1), date(2099, 12, 31))


def text(width: int, alphabet: str = WORDS) -> st.SearchStrategy[str]:
    words = st.text(alphabet, min_size=1, max_size=min(width, 12))
    return st.lists(words, min_size=1, max_size=4).map(" ".join).filter(lambda t: len(t) <= width)


def code(width: int) -> st.SearchStrategy[str]:
    return st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=width)


def amounts(currency: str) -> st.SearchStrategy[Decimal]:
    exponent = _EXPONENT[currency]
    return st.integers(0, 10**12).map(lambda units: Decimal(units).scaleb(-exponent))


def _without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value not in (None, {}, [])}


@st.composite
def money(draw: st.DrawFn) -> tuple[Decimal, str]:
    currency = draw(currencies)
    return draw(amounts(currency)), currency


bank_transaction_codes = st.one_of(
    st.builds(
        lambda d, f, s: {"domain": d, "family": f, "sub_family": s}, code(4), code(4), code(4)
    ),
    st.builds(lambda p, i: _without_none(proprietary=p, issuer=i), text(35), optional(text(35))),
)


@st.composite
def details(draw: st.DrawFn, *, own_side: bool) -> dict[str, Any]:
    amount, currency = draw(money())
    counterparty = _without_none(
        name=draw(optional(text(140))),
        iban=draw(optional(ibans())),
        bic=draw(optional(bics)),
        ultimate_name=draw(optional(text(140))),
    )
    return _without_none(
        end_to_end_id=draw(optional(text(35))),
        instruction_id=draw(optional(text(35))),
        transaction_id=draw(optional(text(35))),
        mandate_id=draw(optional(text(35))),
        amount=amount,
        currency=currency,
        credit_debit=draw(st.sampled_from(["credit", "debit"])) if own_side else None,
        bank_transaction_code=draw(optional(bank_transaction_codes)),
        counterparty=counterparty,
        purpose=draw(optional(code(4))),
        remittance=_without_none(
            unstructured=draw(optional(text(140))),
            creditor_reference=draw(optional(text(35))),
        ),
        return_reason=draw(optional(code(4))),
        additional_information=draw(optional(text(500))),
    )


@st.composite
def entries(draw: st.DrawFn, *, own_side: bool) -> dict[str, Any]:
    amount, currency = draw(money())
    batch = None
    if draw(st.booleans()):
        total, total_currency = draw(money())
        batch = _without_none(
            message_id=draw(optional(text(35))),
            payment_information_id=draw(optional(text(35))),
            transaction_count=draw(optional(st.integers(0, 10**6))),
            total_amount=total,
            currency=total_currency,
        )
    return _without_none(
        amount=amount,
        currency=currency,
        credit_debit=draw(st.sampled_from(["credit", "debit"])),
        reversal=draw(optional(st.booleans())),
        status=draw(st.sampled_from(["booked", "pending", "information"])),
        booking_date=draw(optional(days)),
        value_date=draw(optional(days)),
        account_servicer_reference=draw(optional(text(35))),
        bank_transaction_code=draw(optional(bank_transaction_codes)),
        batch=batch,
        details=draw(st.lists(details(own_side=own_side), max_size=2)),
        additional_information=draw(optional(text(500))),
    )


@st.composite
def balances(draw: st.DrawFn) -> dict[str, Any]:
    amount, currency = draw(money())
    return {
        "type": draw(
            st.sampled_from(
                ["opening", "closing", "interim_closing", "available", "forward_available",
                 "previously_closed", "expected"]
            )
        ),
        "amount": amount,
        "currency": currency,
        "credit_debit": draw(st.sampled_from(["credit", "debit"])),
        "date": draw(days),
    }  # fmt: skip


@st.composite
def statements(draw: st.DrawFn, *, kind: str, own_side: bool) -> dict[str, Any]:
    account = {"iban": draw(ibans())} if draw(st.booleans()) else {"number": draw(text(34, WORDS))}
    account.update(
        _without_none(
            currency=draw(optional(currencies)),
            name=draw(optional(text(70))),
            owner=draw(optional(text(140))),
        )
    )
    servicer = _without_none(bic=draw(optional(bics)), clearing_id=draw(optional(code(35))))
    summary = _without_none(
        credit_count=draw(optional(st.integers(0, 10**6))),
        credit_sum=draw(optional(amounts("EUR"))),
        debit_count=draw(optional(st.integers(0, 10**6))),
        debit_sum=draw(optional(amounts("EUR"))),
    )
    period = draw(optional(st.tuples(moments, moments)))
    return _without_none(
        kind=kind,
        statement_id=draw(text(35)),
        electronic_sequence=draw(optional(st.integers(0, 10**9))),
        legal_sequence=draw(optional(st.integers(0, 10**9))),
        created_at=draw(moments),
        period_from=period[0] if period else None,
        period_to=period[1] if period else None,
        account=account,
        servicer=servicer,
        balances=draw(st.lists(balances(), min_size=1 if kind == "statement" else 0, max_size=3))
        if kind != "notification"
        else None,
        summary=summary,
        entries=draw(st.lists(entries(own_side=own_side), max_size=3)),
        information=draw(optional(text(500))),
    )


@st.composite
def statement_files(draw: st.DrawFn, *, kind: str, own_side: bool) -> dict[str, Any]:
    return _without_none(
        message_id=draw(text(35)),
        created_at=draw(moments),
        statements=draw(st.lists(statements(kind=kind, own_side=own_side), min_size=1, max_size=2)),
    )
