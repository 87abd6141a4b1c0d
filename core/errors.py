"""Domain errors shared by every app.

Each carries `message`, plain English a person can act on, and a `code`.
Pages show the message next to the form; the API maps the class to a status
in one handler (api/errors.py): InvalidInputError 400, NotAllowedError 403,
NotFoundError 404, ConflictError 409.
"""


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInputError(DomainError):
    code = "invalid"
    http_status = 400


class NotAllowedError(DomainError):
    code = "not_allowed"
    http_status = 403


class NotFoundError(DomainError):
    code = "not_found"
    http_status = 404


class ConflictError(DomainError):
    """The object is not in a state that allows this (an illegal transition)."""

    code = "conflict"
    http_status = 409


class ConfigurationError(Exception):
    """A setting (from the environment or the settings module) is missing or
    malformed: the operator, not the person using the page, must fix it."""
