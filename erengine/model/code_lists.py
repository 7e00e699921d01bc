"""Code lists shipped with erengine: ISO 4217 currencies (with decimals) and ISO 3166 countries.

Kept in code rather than data files so that a model's `code_list: iso4217` needs nothing
installed beside the package, and so the money type reads its exponents from the same table.
"""

from __future__ import annotations

from types import MappingProxyType

# Minor-unit exponents that are not 2, per ISO 4217 (list one, 2024 edition).
_EXPONENT_EXCEPTIONS = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED "
    "VES WST XCD XCG YER ZAR ZMW ZWG"
)

_CURRENT: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **{
        code: exponent for exponent, codes in _EXPONENT_EXCEPTIONS.items() for code in codes.split()
    },
}
# Withdrawn currencies (ISO 4217 list three) that archived statements still carry, e.g. a
# German MT940 in DEM. Only the `iso4217-historic` code list accepts them: nobody pays in them.
_HISTORIC_TWO_DECIMALS = "ATS CYP DEM EEK FIM FRF IEP LTL LVL MTL NLG SIT SKK XEU"
_HISTORIC_NO_DECIMALS = "BEF ESP GRD ITL LUF PTE"
_HISTORIC: dict[str, int] = {
    **dict.fromkeys(_HISTORIC_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_HISTORIC_NO_DECIMALS.split(), 0),
}
CURRENCY_EXPONENTS: MappingProxyType[str, int] = MappingProxyType({**_HISTORIC, **_CURRENT})

# ISO 3166-1 alpha-2, plus XK (Kosovo), which IBANs and SEPA use although ISO has not assigned it.
_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
"""
COUNTRIES: frozenset[str] = frozenset(_COUNTRY_CODES.split())

CODE_LISTS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "iso4217": frozenset(_CURRENT),
        "iso4217-historic": frozenset(CURRENCY_EXPONENTS),
        "iso3166": COUNTRIES,
    }
)
