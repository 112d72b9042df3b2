"""Retry policy for transient S3 failures: throttling, 5xx and dropped connections, with jittered backoff.

botocore retries single requests; this wraps whole operations (a streaming read of a large object, a multipart
upload) so a connection dropped half-way through restarts the operation instead of failing the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from tenacity import RetryCallState, retry, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from lambdas.ingestion.logs import logger

T = TypeVar("T")

TRANSIENT_ERROR_CODES = frozenset(
    {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed", "Throttling"}
)
_TRANSIENT_EXCEPTIONS = (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)
ATTEMPTS = 5


def is_transient(error: BaseException) -> bool:
    if isinstance(error, _TRANSIENT_EXCEPTIONS):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_ERROR_CODES or status >= 500
    return False


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    logger.warning(
        "s3_retry",
        operation=getattr(state.fn, "__qualname__", str(state.fn)),
        attempt=state.attempt_number,
        error=repr(error),
    )


def s3_retry(function: Callable[..., T]) -> Callable[..., T]:
    """Retry `function` on transient S3 errors (5 attempts, 0.2 s to 5 s jittered backoff), then re-raise."""
    return retry(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential_jitter(initial=0.2, max=5),
        before_sleep=_log_retry,
        reraise=True,
    )(function)
