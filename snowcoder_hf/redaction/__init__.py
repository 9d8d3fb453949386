"""Secrets and PII redaction for code: detectors for emails, public IPs, keys and passwords, and the engine.

    from snowcoder_hf.redaction import Redactor
    result = Redactor().redact('API_KEY = "AIzaSy..."')   # result.text, result.spans

`snowcoder_hf.pipeline.SecretsRedactor` runs the engine as a DataTrove block.
"""

from snowcoder_hf.redaction.config import DEFAULT_PLACEHOLDERS, KINDS, RedactionConfig
from snowcoder_hf.redaction.engine import Redaction, Redactor
from snowcoder_hf.redaction.spans import Span

__all__ = ["DEFAULT_PLACEHOLDERS", "KINDS", "Redaction", "RedactionConfig", "Redactor", "Span"]
