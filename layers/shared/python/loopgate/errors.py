"""Typed domain errors; handlers map them once to HTTP codes or Step Functions error names."""


class LoopgateError(Exception):
    """Base of every domain error."""


class InvalidInput(LoopgateError):
    """Input that breaks a rule; `field` names the offending field (dotted path)."""

    def __init__(self, field: str, message: str, code: str | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code  # what pages say in the reader's language ("required", "no_correction"); None: invalid


class InvalidValue(InvalidInput):
    """A well-formed value that cannot be accepted (out of range, not storable): 422 naming the field."""


class NotFound(LoopgateError):
    """The case, task or link does not exist (or is not visible to the caller)."""


class Forbidden(LoopgateError):
    """The caller lacks the group or authority for this action."""


class Conflict(LoopgateError):
    """The task or case is no longer in the state the request expects (decided, moved on)."""


class UnsupportedMediaType(LoopgateError):
    """A body in a content type this route does not act on."""


class Gone(LoopgateError):
    """A customer link that expired or was already used; `reason` says which, for the page the customer reads:
    answered, expired, closed (a person took over), changed (the proposal changed since) or gone."""

    def __init__(self, message: str, reason: str = "gone"):
        super().__init__(message)
        self.reason = reason


class ConcurrentUpdate(LoopgateError):
    """A conditional write lost against another writer; the Step Functions Retry names this class."""


class JourneyDefinitionError(LoopgateError):
    """A journey file is invalid; the message names the file and the field."""


class QaPolicyError(LoopgateError):
    """The QA policy file is invalid; the message names the file and the field."""


class DeliveryFailed(LoopgateError):
    """Neither email nor SMS reached the customer."""
