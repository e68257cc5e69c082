"""Producers: intake, outbox, publishing, import and the report simulator."""
