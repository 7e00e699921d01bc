"""Hostile XML: entity expansion, external entities, DTDs, huge and broken input.

Each is refused with a ParseError that says what was refused; none hangs, reads a local file
or touches the network.
"""

from __future__ import annotations

import io

import pytest

from erengine.engine import CompiledFormat, Engine
from erengine.errors import ErengineError, ParseError, flatten

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="{NS}"><CstmrCdtTrfInitn><GrpHdr><MsgId>&lol9;</MsgId></GrpHdr>
</CstmrCdtTrfInitn></Document>
"""

XXE_FILE = f"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="{NS}"><CstmrCdtTrfInitn><GrpHdr><MsgId>&xxe;</MsgId></GrpHdr>
</CstmrCdtTrfInitn></Document>
"""

XXE_NETWORK = f"""<?xml version="1.0"?>
<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/evil.dtd">
<Document xmlns="{NS}"><CstmrCdtTrfInitn/></Document>
"""

PARAMETER_ENTITY = f"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<Document xmlns="{NS}"/>
"""


@pytest.fixture(scope="module")
def pain001() -> CompiledFormat:
    return Engine.from_folders().format("pain.001.001.03@^1")


def refused(compiled: CompiledFormat, text: str | bytes) -> list[ParseError]:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(ErengineError) as caught:
        compiled.read_document(io.BytesIO(raw), file_name="hostile.xml")
    errors = list(flatten(caught.value))
    assert all(isinstance(error, ParseError) for error in errors)
    return errors  # type: ignore[return-value]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "text", [BILLION_LAUGHS, XXE_FILE, XXE_NETWORK, PARAMETER_ENTITY], ids=lambda t: t[40:70]
)
def test_documents_with_a_dtd_are_refused(pain001: CompiledFormat, text: str) -> None:
    errors = refused(pain001, text)
    assert errors[0].code in {"PRS210", "PRS201"}
    assert "DTD" in str(errors[0]) or "entit" in str(errors[0]).lower()
    assert "root:" not in str(errors[0])  # nothing of /etc/passwd leaks into a message


def test_a_doctype_is_refused_with_its_own_code(pain001: CompiledFormat) -> None:
    (error,) = refused(pain001, XXE_FILE)
    assert error.code == "PRS210"
    assert error.position.line == 3


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", None),
        (f"<Document xmlns='{NS}'", 1),
        (f'<Document xmlns="{NS}"><CstmrCdtTrfInitn></Document>', 1),
        ("\x00\x01garbage", 1),
    ],
)
def test_broken_xml_is_a_parse_error_with_its_line(
    pain001: CompiledFormat, text: str, where: int | None
) -> None:
    (error,) = refused(pain001, text)
    assert error.code == "PRS201"
    if where is not None:
        assert error.position.line == where


def test_a_truncated_file_is_refused(pain001: CompiledFormat) -> None:
    whole = (
        b"<?xml version='1.0'?>\n" + f'<Document xmlns="{NS}"><CstmrCdtTrfInitn><GrpHdr>'.encode()
    )
    errors = refused(pain001, whole)
    assert errors[-1].code == "PRS201"
