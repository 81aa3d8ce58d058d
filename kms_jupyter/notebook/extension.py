"""``%load_ext kms_jupyter``: register the magics, the ``Kms`` configurable and the input
transformer that lets a ``%%kms`` cell hold only its magic line.

IPython 9 refuses a cell magic whose body is empty ("%%kms is a cell magic, but the cell body
is empty") before our code runs, yet ``%%kms genre ~ .`` alone is how users type it. A cleanup
input transformer appends a comment line as the body of such cells. Loading imports neither
TensorFlow nor pandas.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "fill_empty_kms_body"]

_EMPTY_BODY = "# (empty %%kms body)\n"
_KMS_CELL = re.compile(r"^\s*%%kms(?:[ \t]|$)")


def fill_empty_kms_body(lines: list[str]) -> list[str]:
    """Input transformer: give a ``%%kms`` cell with nothing after its first line a body."""
    if not lines or not _KMS_CELL.match(lines[0]):
        return lines
    if "".join(lines[1:]).strip():
        return lines
    first = lines[0] if lines[0].endswith("\n") else lines[0] + "\n"
    return [first, _EMPTY_BODY]


fill_empty_kms_body._kms_jupyter = True  # marker: found again on unload / reload


def _remove_transformers(ip: Any) -> None:
    for seq in (ip.input_transformers_cleanup, getattr(ip, "input_transformers_post", [])):
        seq[:] = [t for t in seq if not getattr(t, "_kms_jupyter", False)]


def _remove_configurables(ip: Any) -> None:
    ip.configurables[:] = [
        c for c in ip.configurables if not getattr(c, "_kms_jupyter", False)
    ]


def load_ipython_extension(ip: Any) -> None:
    from kms_jupyter.notebook.magic import Kms, KmsMagics

    _remove_transformers(ip)
    _remove_configurables(ip)
    settings = Kms(parent=ip)
    settings._kms_jupyter = True
    ip.configurables.append(settings)
    ip.register_magics(KmsMagics(shell=ip, config_obj=settings))
    # after IPython's own cleanup (leading indent/prompt stripping), before cell-magic parsing
    ip.input_transformers_cleanup.append(fill_empty_kms_body)


def unload_ipython_extension(ip: Any) -> None:
    _remove_transformers(ip)
    _remove_configurables(ip)
    magics = ip.magics_manager.magics
    for kind, names in (("cell", ("kms",)), ("line", ("kms", "kms_panel"))):
        for name in names:
            magics[kind].pop(name, None)
