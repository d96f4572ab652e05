"""The helpers beside the lesson: one concern per module, each named for its job (see the README)."""
