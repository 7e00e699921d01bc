"""The SWIFT MT codec as the engine sees it: compile, write, read."""

from __future__ import annotations

from erengine.codecs.plan_codec import PlanCodec
from erengine.codecs.swift.format_plan import compile_swift_format
from erengine.codecs.swift.reader import SwiftReader
from erengine.codecs.swift.writer import write_messages
from erengine.config.schema.swift import SwiftFormatDocument

SWIFT_CODEC = PlanCodec(SwiftFormatDocument, compile_swift_format, write_messages, SwiftReader)
