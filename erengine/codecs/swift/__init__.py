"""SWIFT MT: field notation compiled into readers and writers, and the message tokenizer."""

from erengine.codecs.swift.charsets import ANY_PRINTABLE, SWIFT_CHARSETS, SwiftCharset
from erengine.codecs.swift.notation import FieldNotation, compile_notation

__all__ = [
    "ANY_PRINTABLE",
    "SWIFT_CHARSETS",
    "FieldNotation",
    "SwiftCharset",
    "compile_notation",
]
