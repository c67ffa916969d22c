"""Derivation -> documents: number formatting, LaTeX printing, and one Jinja2 environment per format."""
