"""What can go wrong when fetching or running the local engines, each with what to do about it."""

from __future__ import annotations


class EngineError(RuntimeError):
    """A local engine could not be fetched, started or stopped."""


class JavaNotFound(EngineError):
    """No usable Java runtime."""


class FetchError(EngineError):
    """Maven could not fetch the engine jars."""


class EngineStartupError(EngineError):
    """An engine exited or never became ready; the message carries its log tail."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(f"{message}\n--- log tail ---\n{log_tail}" if log_tail else message)
        self.log_tail = log_tail


class PortConflict(EngineStartupError):
    """An engine could not bind its port (taken by another process since it was picked)."""


class StartupTimeout(EngineStartupError):
    """An engine did not become ready in time."""
