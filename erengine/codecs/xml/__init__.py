"""The XML codec: element trees declared in YAML, written with xmlfile, read with iterparse."""

from erengine.codecs.xml.codec import XML_CODEC, XmlCodec, XmlFormat

__all__ = ["XML_CODEC", "XmlCodec", "XmlFormat"]
