"""The one error type of ingestion: a sentence a marketer can act on."""

from __future__ import annotations


class IngestError(Exception):
    """A file cannot be loaded. The message says what is wrong, where, and what to do.

    Raised before anything in the workspace changes, or after the load transaction rolled back.
    """
