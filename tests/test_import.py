"""`import kms_jupyter` (and the notebook layer) must stay light: no TensorFlow at import time."""
import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, timeout=120)
    return set(out.stdout.split())


def test_import_package_does_not_import_tensorflow():
    mods = _modules_after("import kms_jupyter")
    assert "tensorflow" not in mods and "keras" not in mods


def test_notebook_layer_and_extension_do_not_import_tensorflow():
    mods = _modules_after(
        "import kms_jupyter.notebook, kms_jupyter.notebook.magic, kms_jupyter.notebook.charts\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance(); ip.run_line_magic('load_ext', 'kms_jupyter')")
    assert "tensorflow" not in mods


def test_public_names_resolve_lazily():
    import kms_jupyter

    assert callable(kms_jupyter.kms) and callable(kms_jupyter.confusion)
    assert callable(kms_jupyter.load_fit) and callable(kms_jupyter.kms_kcv)
