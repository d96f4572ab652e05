"""UserError: a mistake a user can fix (a bad file, path or value), said in one sentence at the one error
boundary (plumbing/process.py), never as a traceback."""


class UserError(Exception):
    """A problem the user can fix; ``str(error)`` says what is wrong and how to fix it."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
