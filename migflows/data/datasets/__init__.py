"""Embedded datasets (CSV files read with importlib.resources)."""
