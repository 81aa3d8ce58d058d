"""Jupyter adapters for kms_jupyter: the %%kms magic, live charts, result views, the panel.

Everything here is thin glue over :mod:`kms_jupyter.core`; importing this package must stay
cheap (no TensorFlow, no bqplot until a view is actually built).
"""
