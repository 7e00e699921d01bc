"""Unit tests of the SWIFT field-notation compiler: grammar, naming, reading, writing, errors."""

from __future__ import annotations

import pytest

from erengine.codecs.swift import ANY_PRINTABLE, SWIFT_CHARSETS, FieldNotation, compile_notation
from erengine.errors import ConfigError, DataPosition, ParseError, SourceSpan, ValidationError

AT = DataPosition(file="stmt.sta", line=12, column=5, record="message#1", field="61")

LINE_61 = "6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]CrLf[34x]"
PARTS_61 = (
    "value_date", "entry_date", "mark", "funds_code", "amount", "type", "code",
    "customer_reference", "bank_reference", "supplementary",
)  # fmt: skip
MARKS = ("C", "D", "RC", "RD")


@pytest.fixture(scope="module")
def line_61() -> FieldNotation:
    return compile_notation(LINE_61, parts=PARTS_61, choices={"mark": MARKS})


def read(notation: str, text: str, **options: object) -> dict[str, str]:
    return compile_notation(notation, **options).read(text, position=AT)  # type: ignore[arg-type]


def refusal(notation: FieldNotation, text: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        notation.read(text, position=AT)
    return caught.value


# -- grammar and naming --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notation", "parts"),
    [
        ("16x", ("part1",)),
        ("4*35x", ("part1",)),
        ("6!n", ("part1",)),
        ("3!a15d", ("part1", "part2")),
        ("[//16x]", ("part1",)),
        ("5n[/5n]", ("part1", "part2")),
        ("1!a6!n3!a15d", ("part1", "part2", "part3", "part4")),
        (LINE_61, tuple(f"part{i}" for i in range(1, 11))),
        ("6!n[4!n]2a[1!a]15d1!a3!c16x[//16x][34x]", tuple(f"part{i}" for i in range(1, 11))),
        ("[N]3!a15d", ("part1", "part2", "part3")),
        (":4!c//8!n6!n", ("part1", "part2", "part3")),
        ("[/34x]CrLf4!a2!a2!c[3!c]", ("part1", "part2", "part3", "part4", "part5")),
        ("1-3n", ("part1",)),
        ("16..64h", ("part1",)),
        ("[ISIN1!e12!c]", ("part1", "part2")),
    ],
)
def test_each_component_and_each_separator_only_group_is_one_part(
    notation: str, parts: tuple[str, ...]
) -> None:
    assert compile_notation(notation).parts == parts


@pytest.mark.parametrize(
    ("notation", "column", "problem"),
    [
        ("", 1, "empty"),
        ("16", 3, "expected a character set"),
        ("16q", 3, "expected a character set"),
        ("x", 1, "needs a length"),
        ("0x", 1, "between 1 and"),
        ("16x]", 4, "without a matching"),
        ("[16x", 5, "never closed"),
        ("16x[]", 4, "must hold something"),
        ("6!n 4!n", 4, "blanks"),
        ("5-3n", 1, "empty"),
        ("4*15d", 1, "cannot span"),
        ("3*x", 3, "expected a length"),
        ("16x~", 4, "unexpected character"),
        ("[1!a]" * 10 + "[1!n]", 51, "more than 10 optional groups"),
    ],
)
def test_invalid_notation_is_a_config_error_naming_the_column(
    notation: str, column: int, problem: str
) -> None:
    span = SourceSpan("formats/mt940.yaml", 40, 17)
    with pytest.raises(ConfigError) as caught:
        compile_notation(notation, span=span)
    assert caught.value.code == "CFG650"
    assert f"column {column}:" in caught.value.message
    assert problem in caught.value.message
    assert caught.value.span == span


def test_part_names_must_match_the_parts_one_to_one() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_notation("3!a15d", parts=["currency"])
    assert caught.value.code == "CFG651"
    assert "2 parts but 1 names" in caught.value.message
    with pytest.raises(ConfigError):
        compile_notation("3!a15d", parts=["same", "same"])


def test_choices_must_fit_their_part_and_name_a_part() -> None:
    with pytest.raises(ConfigError) as caught:
        compile_notation("2a", choices={"part1": ["C", "CRX"]})
    assert caught.value.code == "CFG652"
    assert "'CRX'" in caught.value.message
    with pytest.raises(ConfigError) as unknown:
        compile_notation("2a", choices={"mark": ["C"]})
    assert "mark" in unknown.value.message
    with pytest.raises(ConfigError):
        compile_notation("2a", charsets={"q": ANY_PRINTABLE})


# -- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notation", "text", "expected"),
    [
        ("16x", "NONREF", {"part1": "NONREF"}),
        ("6!n", "110524", {"part1": "110524"}),
        ("3!a15d", "EUR1234,56", {"part1": "EUR", "part2": "1234,56"}),
        ("3!a15d", "EUR0,", {"part1": "EUR", "part2": "0,"}),
        ("3!a15d", "EUR000000000473,17", {"part1": "EUR", "part2": "000000000473,17"}),
        ("[//16x]", "//B4E07XM00J000023", {"part1": "B4E07XM00J000023"}),
        ("[//16x]", "", {}),
        ("5n[/5n]", "19321/1", {"part1": "19321", "part2": "1"}),
        ("5n[/5n]", "998", {"part1": "998"}),
        (
            "1!a6!n3!a15d",
            "C110522EUR3236,28",
            {"part1": "C", "part2": "110522", "part3": "EUR", "part4": "3236,28"},
        ),
        ("4*35x", "line one\nline two", {"part1": "line one\nline two"}),
        ("[N]3!a15d", "NEUR1,", {"part1": "N", "part2": "EUR", "part3": "1,"}),
        ("[N]3!a15d", "NOK1,", {"part2": "NOK", "part3": "1,"}),
        ("[/1!a][/34x]", "/DE123", {"part2": "DE123"}),
        ("[/1!a][/34x]", "/D/123", {"part1": "D", "part2": "123"}),
        ("[/34x]CrLf4!a2!a2!c[3!c]", "BNPAFRPP", {"part2": "BNPA", "part3": "FR", "part4": "PP"}),
        (
            "[/34x]CrLf4!a2!a2!c[3!c]",
            "/FR76300\nBNPAFRPPXXX",
            {"part1": "FR76300", "part2": "BNPA", "part3": "FR", "part4": "PP", "part5": "XXX"},
        ),
        ("1-3n", "12", {"part1": "12"}),
        ("[4!n]5n", "1234", {"part2": "1234"}),
    ],
)  # fmt: skip
def test_reads_the_parts_present(notation: str, text: str, expected: dict[str, str]) -> None:
    assert read(notation, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "1105240524D9,N192NONREF",
            {"value_date": "110524", "entry_date": "0524", "mark": "D", "amount": "9,",
             "type": "N", "code": "192", "customer_reference": "NONREF"},
        ),
        (
            "1405070507C500,NTRFNONREF//B4E07XM00J000023",
            {"value_date": "140507", "entry_date": "0507", "mark": "C", "amount": "500,",
             "type": "N", "code": "TRF", "customer_reference": "NONREF",
             "bank_reference": "B4E07XM00J000023"},
        ),
        (  # German banks write CR/DR: mark C or D, then a funds code
            "0709040904RCR204,88NRTINONREF",
            {"value_date": "070904", "entry_date": "0904", "mark": "RC", "funds_code": "R",
             "amount": "204,88", "type": "N", "code": "RTI", "customer_reference": "NONREF"},
        ),
        (  # the customer reference holds a blank and a colon; '//' ends it
            "1407290729C500,NTRF29-07-2014 10:05//B4G29PGDCK1QFV3E",
            {"value_date": "140729", "entry_date": "0729", "mark": "C", "amount": "500,",
             "type": "N", "code": "TRF", "customer_reference": "29-07-2014 10:05",
             "bank_reference": "B4G29PGDCK1QFV3E"},
        ),
        (  # supplementary details on the second line
            "1312091209C79,7FMSC01916//NONREF\n20131209007602198765432000000012",
            {"value_date": "131209", "entry_date": "1209", "mark": "C", "amount": "79,7",
             "type": "F", "code": "MSC", "customer_reference": "01916",
             "bank_reference": "NONREF", "supplementary": "20131209007602198765432000000012"},
        ),
        (
            "110527D000000001213,28N0440121470966",
            {"value_date": "110527", "mark": "D", "amount": "000000001213,28", "type": "N",
             "code": "044", "customer_reference": "0121470966"},
        ),
    ],
)  # fmt: skip
def test_reads_real_61_lines(line_61: FieldNotation, text: str, expected: dict[str, str]) -> None:
    assert line_61.read(text, position=AT) == expected


def test_the_compact_61_form_keeps_supplementary_details_on_the_same_line() -> None:
    rabobank = compile_notation("6!n[4!n]2a[1!a]15d1!a3!c16x[//16x][34x]")
    parts = rabobank.read("110527D000000001213,28N0440121470966      W.P. Jansen", position=AT)
    assert parts["part8"] == "0121470966      "
    assert parts["part10"] == "W.P. Jansen"


def test_a_line_break_in_the_notation_text_is_crlf() -> None:
    spec_form = compile_notation("6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]\n[34x]")
    assert spec_form.parts == compile_notation(LINE_61).parts
    assert spec_form.read("110524D9,N192NONREF", position=AT)["part8"] == "NONREF"


def test_charsets_can_be_rebound_for_tolerant_banks() -> None:
    strict = compile_notation("35x")
    tolerant = compile_notation("35x", charsets={"x": ANY_PRINTABLE})
    assert refusal(strict, "Müller").code == "PRS321"
    assert tolerant.read("Müller", position=AT) == {"part1": "Müller"}
    assert refusal(tolerant, "a\x07b").code == "PRS321"


@pytest.mark.parametrize(
    ("letter", "inside", "outside"),
    [
        ("n", "0123456789", "A"),
        ("a", "ABCXYZ", "a"),
        ("c", "AZ09", "a"),
        ("h", "09AF", "G"),
        ("e", " ", "A"),
        ("x", "az AZ09/-?:().,'+", "@"),
        ("y", "AZ09 .,-()/='+:?!\"%&*<>;", "a"),
        ("z", 'az09=!"%&*<>;{@#_', "~"),
    ],
)
def test_character_sets(letter: str, inside: str, outside: str) -> None:
    charset = SWIFT_CHARSETS[letter]
    assert all(charset.allows(char) for char in inside)
    assert not charset.allows(outside)
    assert not charset.allows("\n")
    notation = compile_notation(f"30{letter}")
    assert notation.read(inside, position=AT) == {"part1": inside}
    assert refusal(notation, inside + outside).code == "PRS321"


# -- read errors ---------------------------------------------------------------------------


def test_a_dot_in_an_amount_names_the_part_expected_and_found() -> None:
    span = SourceSpan("formats/swift/mt940.yaml", 23, 9)
    error = refusal(compile_notation("15d", parts=["amount"], span=span), "12.50")
    assert error.span == span
    assert error.code == "PRS326"
    assert "part amount (15d)" in error.message
    assert error.expected == "up to 15 digits with one decimal comma"
    assert error.found == "12.50"
    assert (error.position.line, error.position.column) == (12, 5)
    assert error.position.field == "61.amount"


@pytest.mark.parametrize(
    ("text", "code", "part", "column", "found"),
    [
        ("1105240524D9.50NTRFNONREF", "PRS326", "amount", 16, "9.50"),
        ("1105240524D", "PRS320", "amount", 16, ""),
        ("11O5240524D9,N192NONREF", "PRS321", "value_date", 7, "O"),
        ("1105240524X9,N192NONREF", "PRS325", "mark", 15, "X9"),
        ("1105240524D9,N192NONREF@", "PRS321", "customer_reference", 28, "@"),
        ("1105240524D9,N192NONREFERENCE12345", "PRS322", "customer_reference", 22, None),
        ("1105240524D9,N192NONREF\nline\nthird", "PRS321", "supplementary", 5, "\n"),
        ("1105240524D9,n192NONREF", "PRS321", "type", 18, "n"),
        ("1105240524D1234567890123,45N192X", "PRS322", "amount", 16, "1234567890123,45"),
        ("1105240524D12,3,4N192X", "PRS326", "amount", 16, "12,3,4"),
    ],
)
def test_61_errors_name_part_code_and_column(
    line_61: FieldNotation, text: str, code: str, part: str, column: int, found: str | None
) -> None:
    error = refusal(line_61, text)
    assert error.code == code, str(error)
    assert error.position.field == f"61.{part}"
    assert error.position.column == column
    assert f"part {part} (" in error.message
    if found is not None:
        assert error.found == found


def test_without_a_file_position_columns_count_within_the_field() -> None:
    with pytest.raises(ParseError) as caught:
        compile_notation("3!a15d").read("EUR12.50", position=DataPosition())
    assert (caught.value.position.line, caught.value.position.column) == (None, 4)


def test_errors_on_later_lines_use_the_file_line_numbers() -> None:
    notation = compile_notation("4*35x", parts=["details"])
    with pytest.raises(ParseError) as caught:
        notation.read("ok\nalso ok\nbad @ here", position=AT, line_numbers=(12, 13, 15))
    assert (caught.value.position.line, caught.value.position.column) == (15, 5)
    too_many = refusal(notation, "1\n2\n3\n4\n5")
    assert too_many.code == "PRS322"
    assert "too many lines" in too_many.message
    too_wide = refusal(notation, "1\n" + "w" * 36)
    assert too_wide.code == "PRS322"
    assert too_wide.position.line == 13


def test_separator_and_trailing_text_errors() -> None:
    statement = compile_notation("5n/5n", parts=["statement", "sequence"])
    missing = refusal(statement, "12345")
    assert missing.code == "PRS323"
    assert "separator '/' before part sequence" in missing.message
    leftover = refusal(compile_notation("6!n", parts=["date"]), "110524X")
    assert leftover.code == "PRS324"
    assert "after part date" in leftover.message


# -- writing -------------------------------------------------------------------------------


def test_writes_present_parts_and_optional_groups(line_61: FieldNotation) -> None:
    values = {
        "value_date": "140507", "entry_date": "0507", "mark": "C", "amount": "500,",
        "type": "N", "code": "TRF", "customer_reference": "NONREF",
        "bank_reference": "B4E07XM00J000023", "supplementary": "",
    }  # fmt: skip
    text = line_61.write(values)
    assert text == "1405070507C500,NTRFNONREF//B4E07XM00J000023"
    assert line_61.read(text, position=AT) == {k: v for k, v in values.items() if v}
    assert compile_notation("[N]3!a15d").write({"part1": "N", "part2": "EUR", "part3": "1,"}) == (
        "NEUR1,"
    )


@pytest.mark.parametrize(
    ("values", "code", "part"),
    [
        ({"part1": "EUR"}, "VAL160", "part2"),
        ({"part1": "EUR", "part2": "12.50"}, "VAL164", "part2"),
        ({"part1": "EUr", "part2": "1,"}, "VAL161", "part1"),
        ({"part1": "EURO", "part2": "1,"}, "VAL162", "part1"),
        ({"part1": "EU", "part2": "1,"}, "VAL162", "part1"),
        ({"part1": "EUR", "part2": "1,", "part9": "x"}, "VAL166", None),
        ({"part1": "EUR", "part2": 1}, "VAL167", "part2"),
    ],
)
def test_write_refuses_values_that_do_not_fit(
    values: dict[str, str], code: str, part: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_notation("3!a15d").write(values)
    assert caught.value.code == code, str(caught.value)
    assert caught.value.position.field == part
    assert caught.value.rule == "swift-notation"


def test_write_needs_the_mandatory_parts_of_a_group_it_writes() -> None:
    with pytest.raises(ValidationError) as caught:
        compile_notation("[/5n/5n]", parts=["a", "b"]).write({"a": "1"})
    assert caught.value.code == "VAL160"
    assert "which part a needs" in caught.value.message


def test_write_refuses_a_separator_inside_the_part_it_ends() -> None:
    with pytest.raises(ValidationError) as caught:
        compile_notation("16x[//16x]").write({"part1": "A//B", "part2": "C"})
    assert caught.value.code == "VAL165"


def test_write_refuses_values_that_would_read_back_differently() -> None:
    # Both values fit, but "/D/12" reads as party identifier "D" and account "12".
    with pytest.raises(ValidationError) as caught:
        compile_notation("[/1!a][/34x]").write({"part2": "D/12"})
    assert caught.value.code == "VAL165"
    # Without choices, mark "C" and funds code "R" read back as mark "CR".
    with pytest.raises(ValidationError):
        compile_notation("2a[1!a]15d").write({"part1": "C", "part2": "R", "part3": "1,"})
    with_choices = compile_notation("2a[1!a]15d", choices={"part1": MARKS})
    assert with_choices.write({"part1": "C", "part2": "R", "part3": "1,"}) == "CR1,"


def test_write_wraps_multi_line_parts() -> None:
    notation = compile_notation("2*5x")
    assert notation.write({"part1": "abcdefgh"}) == "abcde\nfgh"
    assert notation.write({"part1": "ab\r\ncd"}) == "ab\ncd"
    with pytest.raises(ValidationError) as caught:
        notation.write({"part1": "abcdefghijk"})
    assert caught.value.code == "VAL162"


def test_write_transliterates_only_when_asked() -> None:
    notation = compile_notation("35x", parts=["name"])
    with pytest.raises(ValidationError) as caught:
        notation.write({"name": "Jörg Müller"})
    assert caught.value.code == "VAL161"
    assert "'ö' at column 2" in caught.value.message
    assert notation.write({"name": "Jörg Müller"}, transliterate=True) == "Joerg Mueller"
    assert notation.write({"name": "Jörg Müller"}, transliterate=True, style="plain") == (
        "Jorg Muller"
    )
    assert notation.write({"name": "Straße"}, transliterate=True) == "Strasse"
    with pytest.raises(ValidationError) as still_bad:
        notation.write({"name": "a@b"}, transliterate=True)
    assert "'@'" in still_bad.value.message


def test_write_transliterates_before_it_wraps() -> None:
    notation = compile_notation("2*6x")
    assert notation.write({"part1": "Grüße"}, transliterate=True) == "Gruess\ne"


def test_multi_line_write_errors_name_line_and_column() -> None:
    with pytest.raises(ValidationError) as caught:
        compile_notation("4*35x").write({"part1": "fine\nnot ok: ä"})
    assert "line 2, column 9" in caught.value.message
