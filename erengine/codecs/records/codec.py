"""The record codec (fixed-width and delimited files) as the engine sees it."""

from __future__ import annotations

from erengine.codecs.plan_codec import PlanCodec
from erengine.codecs.records.plan import compile_record_layout
from erengine.codecs.records.read import RecordReader
from erengine.codecs.records.write import write_records
from erengine.config.schema.records import RecordFormatDocument

RECORDS_CODEC = PlanCodec(RecordFormatDocument, compile_record_layout, write_records, RecordReader)
