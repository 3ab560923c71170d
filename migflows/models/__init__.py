"""Model specifications: fixest-style formula parsing, presets, scenarios."""
