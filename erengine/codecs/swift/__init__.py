"""SWIFT MT: field notation compiled into readers and writers, and the message tokenizer.

See docs/swift-notation.md.
"""

from erengine.codecs.swift.charsets import ANY_PRINTABLE, SWIFT_CHARSETS, SwiftCharset
from erengine.codecs.swift.detect import detect
from erengine.codecs.swift.notation import FieldNotation, compile_notation
from erengine.codecs.swift.tokenizer import EnvelopeBlock, SwiftField, SwiftMessage, iter_messages

__all__ = [
    "ANY_PRINTABLE",
    "SWIFT_CHARSETS",
    "EnvelopeBlock",
    "FieldNotation",
    "SwiftCharset",
    "SwiftField",
    "SwiftMessage",
    "compile_notation",
    "detect",
    "iter_messages",
]
