"""Model specifications: fixest-style formula parsing, the design builder, scenarios."""
