"""Which format reads each statement an inbound job picks up.

A job names one format (``format:``), optionally with a bank's overlay that extends it: every
file is then read with the overlay. Or it detects each file's message (``detect:``, the same
detection as ``erengine parse --detect``) among candidates: the formats it lists, or every
format of the catalog on one model. An overlay is preferred for the message it reads, as a
variant named on ``parse --detect NAME`` is. Every candidate and overlay reads into the same
model, since every output takes the same data. All of this is checked when the job loads,
each mistake located in the job file; a file no candidate reads is refused at run time.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erengine.config.catalog import Catalog, ResolvedDocument
from erengine.config.schema.job import InboundJobDocument
from erengine.config.yaml_spans import DataPath, format_path
from erengine.detect import choose, detect
from erengine.engine import CompiledFormat, Engine
from erengine.errors import ConfigError, DataPosition, ParseError


@dataclass(frozen=True, slots=True)
class InboundFormats:
    engine: Engine
    model: ResolvedDocument
    candidates: tuple[ResolvedDocument, ...]  # the format, or the listed ones; () for a model
    overlays: tuple[ResolvedDocument, ...]
    detecting: bool

    @classmethod
    def load(
        cls, document: ResolvedDocument, spec: InboundJobDocument, engine: Engine
    ) -> InboundFormats:
        """Resolve and check the job's formats; a ConfigError located in ``document``."""
        catalog = engine.catalog

        def resolve(reference: str, where: DataPath, kind: str = "format") -> ResolvedDocument:
            span = document.span(where)
            return catalog.resolve(reference, kind, span=span, config_path=format_path(where))

        if spec.detect is None:
            assert spec.format is not None  # the schema wants `format` or `detect`
            listed: list[tuple[str, DataPath]] = [(spec.format, ("format",))]
        else:
            formats = enumerate(spec.detect.formats or [])
            listed = [(reference, ("detect", "formats", i)) for i, reference in formats]
        candidates = [(resolve(reference, where), where) for reference, where in listed]
        if candidates:
            model = _model_of(catalog, candidates[0][0])
        else:
            assert spec.detect is not None
            assert spec.detect.model is not None  # the schema wants `formats` or `model`
            model = resolve(spec.detect.model, ("detect", "model"), "model")
        if isinstance(spec.overlay, str):
            named: list[tuple[str, DataPath]] = [(spec.overlay, ("overlay",))]
        else:
            named = [(ref, ("overlay", i)) for i, ref in enumerate(spec.overlay or [])]
        overlays = [(resolve(reference, where), where) for reference, where in named]
        for chosen, where in (*candidates, *overlays):
            _check_model(document, catalog, chosen, where, model)
        bases = tuple(candidate for candidate, _ in candidates)
        for overlay, where in overlays:
            _check_overlay(document, overlay, where, bases)
        return cls(
            engine,
            model,
            bases,
            tuple(overlay for overlay, _ in overlays),
            detecting=spec.detect is not None,
        )

    @property
    def label(self) -> str:
        """What the run records as its format: the one that reads every file, or what
        detection chooses among."""
        if not self.detecting:
            return self._fixed.label
        among = ", ".join(c.label for c in self.candidates) or f"every format on {self.model.label}"
        overlays = ", ".join(overlay.label for overlay in self.overlays)
        return f"detect {among}" + (f"; overlays {overlays}" if overlays else "")

    @property
    def sha256(self) -> str:
        """The config sha256 the run records: the reading format's, or a digest of everything
        detection chooses among."""
        if not self.detecting:
            return self.engine.compile_format(self._fixed).sha256
        chosen = (self.model, *self.candidates, *self.overlays)
        text = "\n".join(f"{document.label} {document.sha256}" for document in chosen)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def reader_for(self, path: Path) -> CompiledFormat:
        """The format that reads the file at ``path``; a ParseError when none of the job's
        does (the file is then refused)."""
        if not self.detecting:
            return self.engine.compile_format(self._fixed)
        catalog = self.engine.catalog
        detection = detect(catalog, path)
        for wanted in (*self.overlays, *self.candidates):
            with suppress(ParseError):  # it does not read this message: try the next
                return self.engine.format(choose(detection, wanted.label, catalog))
        if not self.candidates:
            best = catalog.resolve(choose(detection, None, catalog), "format")
            if _model_of(catalog, best).label == self.model.label:
                return self.engine.compile_format(best)
        among = ", ".join(c.label for c in self.candidates) or f"formats on {self.model.label}"
        raise ParseError(
            "PRS182",
            f"{detection.message} is not a message this job reads ({among})",
            position=DataPosition(file=str(path)),
            hint=f"formats that read it: {', '.join(detection.formats)}",
        )

    @property
    def _fixed(self) -> ResolvedDocument:
        """Without detection: the overlay if there is one, else the format."""
        return (self.overlays or self.candidates)[0]


def _model_of(catalog: Catalog, document: ResolvedDocument) -> ResolvedDocument:
    spec: Any = document.spec  # a format schema: every one has `model`
    return catalog.resolve(spec.model, "model", span=document.span(("model",)), config_path="model")


def _check_model(
    job: ResolvedDocument,
    catalog: Catalog,
    chosen: ResolvedDocument,
    where: DataPath,
    model: ResolvedDocument,
) -> None:
    found = _model_of(catalog, chosen)
    if found.label != model.label:
        raise ConfigError(
            "CFG311",
            f"{chosen.label} reads into {found.label}, the job's other formats into "
            f"{model.label}: every output of a job takes one model",
            span=job.span(where),
            config_path=format_path(where),
            hint=f"give formats on {model.name} only, or a job per model",
        )


def _check_overlay(
    job: ResolvedDocument,
    overlay: ResolvedDocument,
    where: DataPath,
    bases: tuple[ResolvedDocument, ...],
) -> None:
    """An overlay extends, directly or through other variants, one of ``bases`` (any format
    when detection takes the whole model)."""
    parents = overlay.lineage[1:]
    if bases and any(base.lineage[0] in parents for base in bases):
        return
    if not bases and parents:
        return
    derives = " -> ".join(item.split(" (", 1)[0] for item in overlay.lineage)
    overlaid = " or ".join(base.label for base in bases) or "any format"
    raise ConfigError(
        "CFG312",
        f"overlay {overlay.label} does not extend {overlaid}",
        span=job.span(where),
        config_path=format_path(where),
        hint=f"{derives}; an overlay is a bank's variant: a format with `extends:`",
    )
