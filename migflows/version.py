"""The package version (one place; ``migflows.__version__`` reads it)."""

__version__ = "0.1.0"
