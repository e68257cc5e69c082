"""Minqing: grassroots dispute early warning."""

__version__ = "0.1.0"
