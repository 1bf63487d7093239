"""One POST of a webhook delivery: the signature, the request, and its outcome as plain values (no database).

The stdlib's urllib is enough for a POST with a timeout; redirects are not followed (a receiver that moved must
be changed by its owner: a 3xx is a failed attempt), so the body and its signature only ever go to the URL the
operator gave.
"""

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException

SIGNATURE_HEADER = "X-Portal-Signature"
USER_AGENT = "charging-portal-webhooks/1"
# What of a refusing receiver's answer is kept in the attempt's error (enough to see why, not a whole page).
ANSWER_EXCERPT = 300


def signature(*, secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx: recorded as a failed attempt


_opener = urllib.request.build_opener(_NoRedirect)


def post(*, url: str, body: bytes, secret: str, headers: dict[str, str], timeout_s: float) -> Outcome:
    """POST `body` to `url`, signed with `secret`; never raises for the receiver's or the network's trouble."""
    request = urllib.request.Request(  # noqa: S310  the URL's scheme is http(s), checked when it was stored
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(secret=secret, body=body),
            **headers,
        },
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout_s) as response:
            status, error = response.status, ""
    except urllib.error.HTTPError as answer:
        status, error = answer.code, _refusal(answer)
    except urllib.error.URLError as failure:
        status, error = None, f"{type(failure.reason).__name__}: {failure.reason}"
    except (OSError, HTTPException, ValueError) as failure:  # a timeout while reading, a broken answer
        status, error = None, f"{type(failure).__name__}: {failure}".rstrip(": ")
    return Outcome(status_code=status, error=error, duration_ms=round((time.monotonic() - started) * 1000))


def _refusal(answer: urllib.error.HTTPError) -> str:
    try:
        text = answer.read(ANSWER_EXCERPT).decode("utf-8", "replace")
    except (OSError, HTTPException):
        text = ""
    finally:
        answer.close()
    return f"HTTP {answer.code} {answer.reason}: {text}".strip().rstrip(":")
