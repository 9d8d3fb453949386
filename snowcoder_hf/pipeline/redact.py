"""Secrets and PII redaction as a DataTrove block: emails, public IPs, keys and passwords become placeholders.

from snowcoder_hf.pipeline import SecretsRedactor
SecretsRedactor(kinds=["email", "key", "password"], allow_domains=["mycorp.example"])
"""

from __future__ import annotations

import importlib.util
import re

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from snowcoder_hf.redaction.config import RedactionConfig
from snowcoder_hf.redaction.engine import Redactor

_BINARY_SAMPLE = 8192
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def looks_binary(text: str) -> bool:
    """A NUL byte, or more than 10% control characters, in the first 8 KiB."""
    sample = text[:_BINARY_SAMPLE]
    return "\x00" in sample or len(_CONTROL_RE.findall(sample)) > 0.1 * len(sample)


class SecretsRedactor(PipelineStep):
    """Replace emails, public IP addresses, API keys / tokens and passwords in `doc.text` with StarCoder's
    placeholders (`<EMAIL>`, `<IP_ADDRESS>`, `<KEY>`, `<PASSWORD>`), keeping the syntax around them (quotes,
    the assignment name, a URL's `user:` part). Documents are never dropped.

    Writes `metadata.redactions`: a list of `{kind, start, end, rule}`, where `start` / `end` are offsets into
    the text as this block received it, i.e. the ORIGINAL text before any placeholder was written (`rule` names
    the detector). Counts every replacement under `redacted_<kind>`, and `docs_redacted`. Bad input passes
    through and is counted: `skipped_non_str_text` (text is not a str; left unchanged, `metadata.redaction_skipped`
    says why), `empty_text`, `binary_text` (scanned like any text: a secret inside binary junk is still a secret).

    Options (see `RedactionConfig`): `kinds`, `placeholders`, `allow_values`, `allow_domains`,
    `builtin_allow_list`, `detect_secrets_plugins`, `max_records`; or one `config` (a `RedactionConfig` or dict).
    `metadata.language` / `metadata.path` tell config files (where `password: hunter2` is a literal) from code
    (where `password = hunter2` reads a variable).
    """

    name = "🔏 Secrets redaction"
    type = "✂️ - FORMAT"

    def __init__(self, config: RedactionConfig | dict | None = None, **options):
        super().__init__()
        self.redactor = Redactor(config, **options)
        if self.redactor.config.detect_secrets_plugins and importlib.util.find_spec("detect_secrets") is None:
            raise ImportError(
                "SecretsRedactor's `detect_secrets_plugins` need detect-secrets: pip install 'snowcoder_hf[pipeline]' "
                "(or pass detect_secrets_plugins=[] to use only the built-in detectors)."
            )

    @property
    def config(self) -> RedactionConfig:
        return self.redactor.config

    def redact_document(self, doc: Document) -> None:
        text = doc.text
        if not isinstance(text, str):
            self.stat_update("skipped_non_str_text")
            doc.metadata["redaction_skipped"] = "non_str_text"
            return
        if not text:
            self.stat_update("empty_text")
            doc.metadata["redactions"] = []
            return
        if looks_binary(text):
            self.stat_update("binary_text")
        metadata = doc.metadata
        result = self.redactor.redact(text, language=metadata.get("language"), path=metadata.get("path"))
        limit = self.config.max_records
        metadata["redactions"] = [span.as_record() for span in result.spans[:limit]]
        if len(result.spans) > limit:
            metadata["redactions_omitted"] = len(result.spans) - limit
        if result.spans:
            doc.text = result.text
            self.stat_update("docs_redacted")
            counts: dict[str, int] = {}
            for span in result.spans:
                counts[span.kind] = counts.get(span.kind, 0) + 1
            for kind, count in counts.items():
                self.stat_update(f"redacted_{kind}", value=count)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update(StatHints.total)
            with self.track_time():
                self.redact_document(doc)
            self.stat_update(StatHints.forwarded)
            yield doc
