"""Twilio webhook signatures (X-Twilio-Signature), thin helpers over twilio's RequestValidator.

``url`` is the full URL Twilio requested (scheme, host, path and query, as seen
from outside any proxy); ``params`` are the POST form fields (a dict or a
Werkzeug MultiDict). No Flask import here: the caller passes what it read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"

log = logging.getLogger(__name__)


def compute_signature(auth_token: str, url: str, params: Mapping[str, Any] | None = None) -> str:
    """The signature Twilio would send for this request (base64 HMAC-SHA1)."""
    if not auth_token:
        raise ValueError("auth_token is required to compute a Twilio signature")
    return RequestValidator(auth_token).compute_signature(url, params or {})


def is_valid(auth_token: str, url: str, params: Mapping[str, Any] | None, signature: str | None) -> bool:
    """True when ``signature`` matches; False when it does not, or when token or signature is empty."""
    if not auth_token or not signature:
        return False
    try:
        return bool(RequestValidator(auth_token).validate(url, params or {}, signature))
    except Exception:  # malformed input is simply not a valid signature
        log.warning("Twilio signature check failed on malformed input", exc_info=True)
        return False
