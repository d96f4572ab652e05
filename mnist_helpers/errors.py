"""The one exception type for mistakes a user can fix (a bad file, path or value).

Scripts catch it at the top (see ``lifecycle``) and print its message as one sentence,
instead of a stack trace.
"""


class UserError(Exception):
    """A problem the user can fix; ``str(error)`` says what is wrong and how to fix it."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
