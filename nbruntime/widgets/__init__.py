"""Widgets to build requests, send them without blocking the kernel, and watch the answers stream in."""

from .builder import RequestBuilder
from .panel import RequestPanel

__all__ = ["RequestBuilder", "RequestPanel"]
