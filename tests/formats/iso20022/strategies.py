"""hypothesis strategies for payment files that pain.001 (EPC rules) can carry.

Texts are drawn from the EPC set within the EPC lengths (so writing does not transliterate
them), IBANs and BICs are valid, amounts have the currency's decimals and at most 18 digits,
end-to-end ids are unique in the file (or absent: written as NOTPROVIDED).
"""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from erengine.expr.functions.checks import mod97_check_digits
from erengine.validate.iban import IBAN_LENGTHS

EPC = string.ascii_letters + string.digits + "/-?:().,'+ "
IDS = string.ascii_letters + string.digits + "/-?:().,'+"


def text(width: int, alphabet: str = EPC) -> st.SearchStrategy[str]:
    """Non-blank text without edge spaces (XML keeps them, but the model forbids blank)."""
    return st.text(alphabet, min_size=1, max_size=width).map(str.strip).filter(bool)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["DE", "FR", "NL", "AT", "BE", "ES", "IT", "CH", "NO", "MT"]))
    bban = draw(
        st.text(
            string.ascii_uppercase + string.digits,
            min_size=IBAN_LENGTHS[country] - 4,
            max_size=IBAN_LENGTHS[country] - 4,
        )
    )
    return country + mod97_check_digits(bban + country) + bban


bics = st.builds(
    lambda bank, country, location, branch: bank + country + location + branch,
    st.text(string.ascii_uppercase, min_size=4, max_size=4),
    st.sampled_from(["DE", "FR", "NL", "AT", "BE", "FI", "CH"]),
    st.sampled_from(["FF", "PP", "2A", "MM", "22"]),
    st.sampled_from(["", "XXX", "123"]),
)
clearing_members = st.builds(
    lambda system, member: _without_none(clearing_system=system, member_id=member),
    optional(st.sampled_from(["USABA", "CHBCC", "DEBLZ"])),
    text(35, IDS),
)
currencies = st.sampled_from(["EUR", "EUR", "EUR", "CHF", "JPY", "KWD"])
_EXPONENT = {"EUR": 2, "CHF": 2, "JPY": 0, "KWD": 3}
moments = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).flatmap(
    lambda moment: st.sampled_from(
        [
            moment.replace(microsecond=0),
            moment,
            moment.replace(microsecond=0, tzinfo=UTC),
            moment.replace(microsecond=0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        ]
    )
)


def _without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


@st.composite
def parties(draw: st.DrawFn, *, address: bool = True) -> dict[str, Any]:
    postal = None
    if address and draw(st.booleans()):
        postal = _without_none(
            street=draw(optional(text(70))),
            building_number=draw(optional(text(16))),
            postal_code=draw(optional(text(16))),
            town=draw(text(35)),
            country=draw(st.sampled_from(["DE", "FR", "NL", "NO"])),
        )
    return _without_none(name=draw(text(70)), id=draw(optional(text(35, IDS))), address=postal)


@st.composite
def agents(draw: st.DrawFn) -> dict[str, Any]:
    """A bank by BIC, by clearing system member id, or both."""
    agent = {"bic": draw(bics)} if draw(st.booleans()) else {}
    if not agent or draw(st.booleans()):
        agent.update(draw(clearing_members))
    return agent


@st.composite
def accounts(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 4)):
        return {"iban": draw(ibans())}
    return {"number": draw(text(34, string.digits + string.ascii_uppercase))}


@st.composite
def payments(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(currencies)
    exponent = _EXPONENT[currency]
    # At most 10^12: control sums of a dozen payments stay within 18 digits.
    amount = Decimal(draw(st.integers(1, 10 ** (12 + exponent)))).scaleb(-exponent)
    structured = None
    if draw(st.booleans()):
        typed = draw(st.booleans())  # the schema has an issuer only inside a typed reference
        structured = _without_none(
            reference=draw(text(35, IDS)),
            type="SCOR" if typed else None,
            issuer=draw(optional(text(35))) if typed else None,
        )
    remittance = _without_none(unstructured=draw(optional(text(140))), structured=structured)
    return _without_none(
        instruction_id=draw(optional(text(35, IDS))),
        amount=amount,
        currency=currency,
        direction="credit",
        creditor=draw(parties()),
        ultimate_creditor=draw(optional(parties(address=False).map(lambda p: {"name": p["name"]}))),
        creditor_account=draw(accounts()),
        creditor_agent=draw(optional(agents())),
        purpose=draw(optional(text(4, string.ascii_uppercase))),
        remittance=remittance or None,
    )


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    return _without_none(
        batch_id=draw(text(35, IDS)),
        payment_method="TRF",
        batch_booking=draw(optional(st.booleans())),
        instruction_priority=draw(optional(st.sampled_from(["NORM", "HIGH"]))),
        service_level=draw(optional(st.sampled_from(["SEPA", "URGP", "NURG"]))),
        local_instrument=draw(optional(st.sampled_from(["INST", "CORE"]))),
        category_purpose=draw(optional(st.sampled_from(["SALA", "SUPP"]))),
        requested_date=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
        debtor=draw(parties()),
        debtor_account=draw(accounts()),
        debtor_agent=draw(optional(agents())),
        ultimate_debtor=draw(optional(parties(address=False).map(lambda p: {"name": p["name"]}))),
        charge_bearer=draw(optional(st.sampled_from(["SLEV", "SHAR", "DEBT", "CRED"]))),
        payments=draw(st.lists(payments(), min_size=1, max_size=4)),
    )


@st.composite
def payment_files(draw: st.DrawFn) -> dict[str, Any]:
    data = _without_none(
        message_id=draw(text(35, IDS)),
        created_at=draw(moments),
        initiating_party=draw(optional(parties(address=False).map(lambda p: {"name": p["name"]}))),
        batches=draw(st.lists(batches(), min_size=1, max_size=3)),
    )
    number = 0
    for batch in data["batches"]:
        for payment in batch["payments"]:
            number += 1
            if draw(st.booleans()):
                payment["end_to_end_id"] = f"E2E-{number}"
    return data
