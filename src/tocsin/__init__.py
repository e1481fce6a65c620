"""Tocsin: self-hosted incident response, from the first alert to a lesson learned."""

__version__ = "0.1.0"
__all__ = ["__version__"]
