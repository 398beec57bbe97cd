"""fundwire's extractor: pure article -> funding-event extraction, plus the store, dedup and CLI."""

__version__ = "0.1.0"
