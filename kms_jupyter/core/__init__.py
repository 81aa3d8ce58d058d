"""Pure engine: formula -> design -> network -> training -> evaluation (no Jupyter)."""
