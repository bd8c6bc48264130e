"""Errors a user can act on. Their message is shown as is, so it says what to do."""


class NewsbriefError(ValueError):
    """Base for every error whose message is meant for the user."""


class BadInputError(NewsbriefError):
    """The input is empty, binary, too large or has no sentences."""
