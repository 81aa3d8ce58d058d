"""In a real ipykernel, a %%kms cell and a KmsFit's repr publish no empty output.

Keras 3's ``model.summary(print_fn=...)`` renders through a rich Console which, in a kernel
(ZMQInteractiveShell), displays its emptied capture buffer as an empty <pre>: one stray blank
output per summary. ``static.keras_summary_text`` must capture the text without that side
effect. The first cell calls Keras directly to show the probe sees the stray output at all.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP = """%load_ext kms_jupyter
import keras
from kms_jupyter.datasets import movies_like
movies = movies_like(n=200)"""
RAW_SUMMARY = """m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
_lines = []
m.summary(print_fn=lambda t, line_break=True: _lines.append(t))"""
OUR_SUMMARY = """from kms_jupyter.notebook.static import keras_summary_text
text = keras_summary_text(m)
print("SUMMARY", "Total params" in text, len(text.splitlines()) > 3)"""
CELL = """%%kms -o fit genre ~ rating + votes
units = [4]
epochs = 1
batch_size = 64
seed = 1"""


def _empty(content: dict) -> bool:
    data = content.get("data", {})
    plain = str(data.get("text/plain", "")).strip()
    html = str(data.get("text/html", ""))
    stripped = html.replace("</pre>", "").strip()
    only_pre = stripped.startswith("<pre") and stripped.endswith(">") and stripped.count(">") == 1
    return (not data) or (not plain and (not html.strip() or only_pre)) or only_pre


def test_no_empty_outputs_in_a_real_kernel(tmp_path):
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ)
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    for var in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "KERAS_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
        env.setdefault(var, str(tmp_path / var.lower()))
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)

    def execute(code: str, timeout: float = 240):
        msg_id = kc.execute(code)
        outputs, text = [], []
        while True:
            msg = kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("display_data", "execute_result", "update_display_data"):
                outputs.append(content)
            elif kind == "stream":
                text.append(content["text"])
            elif kind == "error":
                text.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                return outputs, "".join(text)

    try:
        outputs, text = execute(SETUP)
        assert outputs == [] and "Error" not in text, text
        # the probe sees Keras' own stray output (if this fails, Keras/rich no longer leak it)
        outputs, text = execute(RAW_SUMMARY)
        assert any(_empty(o) for o in outputs), (outputs, text)

        outputs, text = execute(OUR_SUMMARY)
        assert outputs == [], outputs
        assert "SUMMARY True True" in text, text

        outputs, text = execute(CELL)
        assert "Error" not in text, text
        assert len(outputs) >= 4, [sorted(o.get("data", {})) for o in outputs]
        assert not [o for o in outputs if _empty(o)], [o.get("data") for o in outputs if _empty(o)]

        outputs, text = execute("fit")  # the KmsFit repr (HTML + PNG, with the summary)
        assert len(outputs) == 1 and outputs[0]["data"].get("text/html"), outputs
        assert "Keras summary" in outputs[0]["data"]["text/html"]
        assert not [o for o in outputs if _empty(o)]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
