"""Which codec serves which `file.type` of a format document.

A new file kind is a codec module plus one line here; its format schema then validates
documents and appears in `erengine schema`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from erengine.codecs.base import Codec
from erengine.codecs.records.codec import RECORDS_CODEC
from erengine.codecs.swift.codec import SWIFT_CODEC
from erengine.codecs.xml.codec import XML_CODEC

CODECS: Mapping[str, Codec] = MappingProxyType(
    {
        "fixed": RECORDS_CODEC,
        "delimited": RECORDS_CODEC,
        "swift": SWIFT_CODEC,
        "xml": XML_CODEC,
    }
)
