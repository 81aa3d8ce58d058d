"""The %%kms / %kms / %kms_panel magics in a real IPython shell (no mocks).

Trainings are tiny (300 rows, 1-2 epochs, small units): the machine's 2 cores are shared.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from IPython.core.error import UsageError  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

from kms_jupyter.datasets import movies_like  # noqa: E402
from kms_test_support import fresh_kms_shell  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SMALL = "units = [8]\nepochs = 1\nbatch_size = 64\nseed = 1\n"


@pytest.fixture(scope="module")
def movies():
    return movies_like(n=300)


@pytest.fixture
def ip():
    """A real shell with the extension freshly loaded and a clean user namespace."""
    with fresh_kms_shell() as shell:
        yield shell


def kms_settings(shell):
    return next(c for c in shell.configurables if type(c).__name__ == "Kms")


def run(shell, source):
    """run_cell with stdout/stderr/display captured; returns (result, captured)."""
    with capture_output() as cap:
        result = shell.run_cell(source)
    return result, cap


def assert_usage_error(shell, source, *culprits):
    """run_cell fails with a one-line UsageError naming every culprit, without a traceback."""
    result, cap = run(shell, source)
    err = result.error_in_exec
    assert isinstance(err, UsageError), f"expected UsageError, got {err!r}\n{cap.stderr}"
    msg = str(err)
    assert "\n" not in msg, msg
    for c in culprits:
        assert c in msg, f"{c!r} not in {msg!r}"
    text = cap.stdout + cap.stderr
    assert "Traceback" not in text and "----> " not in text, text
    assert msg in cap.stderr  # IPython shows the one line
    return msg


def direct_usage_error(fn, *args):
    with pytest.raises(UsageError) as ei:
        fn(*args)
    assert "\n" not in str(ei.value)
    return str(ei.value)


# ------------------------------------------------------------------ loading


def test_loading_is_fast_and_does_not_import_tensorflow():
    code = (
        "import sys, time\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "t = time.perf_counter()\n"
        "ip.run_line_magic('load_ext', 'kms_jupyter')\n"
        "dt = time.perf_counter() - t\n"
        "assert 'kms' in ip.magics_manager.magics['cell'], 'no %%kms'\n"
        "assert {'kms', 'kms_panel'} <= set(ip.magics_manager.magics['line']), 'no %kms'\n"
        "bad = [m for m in ('tensorflow', 'keras', 'bqplot') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print(dt)\n"
    )
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       env=env)
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.strip().splitlines()[-1]) < 1.0


def test_unload_removes_magics_transformer_and_configurable(ip):
    from kms_jupyter.notebook.extension import fill_empty_kms_body

    ip.run_line_magic("unload_ext", "kms_jupyter")
    try:
        assert "kms" not in ip.magics_manager.magics["cell"]
        assert "kms_panel" not in ip.magics_manager.magics["line"]
        assert fill_empty_kms_body not in ip.input_transformers_cleanup
        assert not any(type(c).__name__ == "Kms" for c in ip.configurables)
    finally:
        ip.run_line_magic("load_ext", "kms_jupyter")
    # loaded exactly once again
    assert sum(t is fill_empty_kms_body for t in ip.input_transformers_cleanup) == 1
    assert sum(type(c).__name__ == "Kms" for c in ip.configurables) == 1


# ------------------------------------------------------------------ empty body transformer


def test_transformer_gives_magic_only_cell_a_body(ip):
    code = ip.transform_cell("%%kms genre ~ rating + votes")
    assert code.startswith("get_ipython().run_cell_magic('kms', 'genre ~ rating + votes', '#")
    # other cells untouched
    assert ip.transform_cell("%%kms genre ~ x\nseed = 1\n").endswith("'seed = 1\\n')\n")
    assert "run_cell_magic('kmsx'" in ip.transform_cell("%%kmsx a")
    assert ip.transform_cell("x = 1") == "x = 1\n"


def test_magic_only_cell_reaches_our_code(ip):
    # no DataFrame: the error is ours, not IPython's "cell body is empty"
    msg = assert_usage_error(ip, "%%kms genre ~ rating + votes", "no pandas DataFrame")
    assert "body is empty" not in msg


# ------------------------------------------------------------------ option/body errors


@pytest.mark.parametrize(
    "source, culprits",
    [
        ("%%kms --epochs 3 genre ~ .\nseed = 1", ("--epochs", "epochs = ...")),
        ("%%kms -o genre ~ .\nseed = 1", ("no outcome", "'genre'")),
        ("%%kms -o 1x genre ~ .\nseed = 1", ("1x",)),
        ("%%kms -o\nseed = 1", ("-o", "needs a value")),
        ("%%kms genre + rating\nseed = 1", ("genre + rating", "'~'")),
        ("%%kms\nseed = 1", ("needs a formula",)),
        ("%%kms --code out1\nseed = 1", ("--code", "%kms --code")),
        ("%%kms genre ~ .\nseed = 1\nprint(seed)", ("line 2", "print(seed)")),
        ("%%kms genre ~ .\nseed = = 1", ("line 1", "syntax error")),
        ("%%kms genre ~ .\nseed = 1\nseed = 2", ("'seed'", "line 1")),
        ("%kms", ("%kms needs a formula",)),
        ("%kms --bogus", ("--bogus",)),
    ],
)
def test_line_and_body_errors(ip, source, culprits):
    assert_usage_error(ip, source, *culprits)


# ------------------------------------------------------------------ data lookup


def test_no_dataframe(ip):
    ip.user_ns["not_a_frame"] = [1, 2, 3]
    assert_usage_error(ip, "%%kms genre ~ rating\nseed = 1", "no pandas DataFrame", "--data")


def test_no_dataframe_with_outcome_suggests_column(ip, movies):
    ip.user_ns["movies"] = movies
    assert_usage_error(ip, "%%kms genr ~ rating\nseed = 1", "'genr'", "'genre'", "movies",
                       "--data")


def test_several_dataframes_listed(ip, movies):
    ip.user_ns["movies"] = movies
    ip.user_ns["movies2"] = movies.head(50).copy()
    ip.user_ns["_hidden"] = movies  # underscore names are ignored
    assert_usage_error(ip, "%%kms genre ~ rating\nseed = 1", "movies, movies2", "--data")


def test_one_dataframe_inferred_and_aliases_count_once(ip, movies):
    import pandas as pd

    magics = ip.magics_manager.registry["KmsMagics"]
    ip.user_ns["movies"] = movies
    ip.user_ns["same_movies"] = movies  # two names, one object: not ambiguous
    ip.user_ns["other"] = pd.DataFrame({"a": [1, 2]})
    name, df = magics._infer_data("genre ~ rating")
    assert df is movies and name in ("movies", "same_movies")
    name, df = magics._infer_data("`a` ~ b")
    assert df is ip.user_ns["other"]


def test_data_option_errors(ip, movies):
    ip.user_ns["movies"] = movies
    ip.user_ns["numbers"] = [1, 2]
    assert_usage_error(ip, "%%kms --data movis genre ~ rating\nseed = 1", "movis", "'movies'")
    assert_usage_error(ip, "%%kms --data numbers genre ~ rating\nseed = 1", "numbers", "list",
                       "not a pandas DataFrame")
    assert_usage_error(ip, "%%kms --data movis.head(3) genre ~ rating\nseed = 1", "'movis'",
                       "'movies'")
    assert_usage_error(ip, "%%kms --data movies genre ~ rating\ndata = movies", "given twice")


def test_panel_magic_errors(ip, movies):
    assert_usage_error(ip, "%kms_panel", "needs a DataFrame")
    assert_usage_error(ip, "%kms_panel movis", "movis")
    ip.user_ns["movies"] = movies
    ip.user_ns["movies2"] = movies
    assert_usage_error(ip, "%kms_panel", "several DataFrames", "movies, movies2")
    assert_usage_error(ip, "%kms_panel movies.head(0)", "no rows")


def test_panel_magic_builds_panel_with_config_start_values(ip, movies):
    from kms_jupyter.notebook.panel import KmsPanel

    ip.user_ns["movies"] = movies
    run(ip, "%config Kms.epochs = 3")
    result, cap = run(ip, "%kms_panel")
    assert result.error_in_exec is None, cap.stderr
    panel = result.result
    assert isinstance(panel, KmsPanel)
    assert panel.data is movies and panel.data_name == "movies"
    assert panel.epochs.value == 3
    assert panel.runs == []


def test_code_line_magic_errors(ip):
    assert_usage_error(ip, "%kms --code", "'_kms'", "%%kms first")
    ip.user_ns["out1"] = 42
    assert_usage_error(ip, "%kms --code out1", "out1", "int", "not a KmsFit")
    assert_usage_error(ip, "%kms --code ou1", "ou1")


# ------------------------------------------------------------------ %config


def test_config_lists_and_sets(ip):
    result, cap = run(ip, "%config Kms")
    assert result.error_in_exec is None
    for name in ("Kms.epochs", "Kms.batch_size", "Kms.units", "Kms.activation", "Kms.live",
                 "Kms.quiet", "Kms.seed", "Kms.optimizer"):
        assert name in cap.stdout, name
    result, cap = run(ip, "%config Kms.epochs = 2")
    assert result.error_in_exec is None
    s = kms_settings(ip)
    assert s.epochs == 2
    assert s.engine_defaults() == {"epochs": 2}
    result, _ = run(ip, "%config Kms.units = [16, 8]")
    assert s.engine_defaults() == {"epochs": 2, "units": [16, 8]}


def test_config_traits_mirror_kms_defaults():
    from kms_jupyter.core.arguments import DEFAULTS
    from kms_jupyter.notebook.magic import ENGINE_TRAITS, Kms

    k = Kms()
    for name in ENGINE_TRAITS:
        assert name in DEFAULTS, f"Kms.{name} is not a kms() argument"
        default = DEFAULTS[name]
        mine = getattr(k, name)
        if isinstance(default, tuple):
            default = list(default)
        assert mine == default, f"Kms.{name} = {mine!r} but kms() default is {default!r}"


# ------------------------------------------------------------------ training (tiny)


VIGNETTE = """%%kms -o out1 genre ~ . -director -title
seed = 12345
activation = "relu"
use_bias = False
kernel_regularizer = None
"""


def test_vignette_cell(ip, movies):
    ip.user_ns["movies"] = movies
    run(ip, "%config Kms.epochs = 2")
    run(ip, "%config Kms.units = [16]")
    result, cap = run(ip, VIGNETTE)
    assert result.error_in_exec is None, cap.stderr
    assert result.result is None  # not displayed twice
    fit = ip.user_ns["out1"]
    assert type(fit).__name__ == "KmsFit"
    assert ip.user_ns["_kms"] is fit
    assert fit.seed == 12345
    assert fit.args["use_bias"] is False
    assert fit.args["kernel_regularizer"] is None
    assert fit.epochs == 2 and len(fit.history) == 2  # from %config
    columns = " ".join(map(str, fit.design.columns))  # the '-director -title' reached formulaic
    assert "rating" in columns and "director" not in columns and "title" not in columns
    assert "Traceback" not in cap.stderr


def test_magic_only_cell_trains(ip, movies):
    ip.user_ns["movies"] = movies
    run(ip, "%config Kms.epochs = 1")
    run(ip, "%config Kms.units = [8]")
    result, cap = run(ip, "%%kms --quiet genre ~ rating + votes")
    assert result.error_in_exec is None, cap.stderr
    fit = ip.user_ns["_kms"]
    assert len(fit.history) == 1
    assert cap.outputs == []  # --quiet shows nothing


def test_body_overrides_config_and_unknown_argument(ip, movies):
    ip.user_ns["movies"] = movies
    run(ip, "%config Kms.epochs = 5")
    result, cap = run(ip, "%%kms --quiet -o m genre ~ rating + votes\n" + SMALL)
    assert result.error_in_exec is None, cap.stderr
    assert len(ip.user_ns["m"].history) == 1
    assert_usage_error(ip, "%%kms genre ~ rating\nepocs = 2", "'epocs'", "'epochs'", "line 1")
    assert_usage_error(ip, "%%kms genre ~ rating\nunits = [n_unit]", "'n_unit'")


def test_engine_errors_are_one_line_usage_errors(ip, movies):
    ip.user_ns["movies"] = movies
    result, cap = run(ip, "%%kms genre ~ bogus\n" + SMALL)
    assert isinstance(result.error_in_exec, UsageError)
    assert cap.outputs == []  # the live chart only appears once training starts
    assert_usage_error(ip, "%%kms genre ~ ratng + votes\n" + SMALL, "ratng", "rating")
    assert_usage_error(ip, "%%kms genre ~ rating + (votes\n" + SMALL, "votes")
    assert_usage_error(ip, "%%kms genre ~ rating\n" + SMALL + "p_training = 1.5", "p_training")


def test_line_magic_trains_and_code_prints(ip, movies):
    ip.user_ns["movies"] = movies
    run(ip, "%config Kms.epochs = 1")
    run(ip, "%config Kms.units = [8]")
    result, cap = run(ip, "%kms -q -o fit_a --data movies genre ~ rating + votes")
    assert result.error_in_exec is None, cap.stderr
    fit = ip.user_ns["fit_a"]
    result, cap = run(ip, "%kms --code fit_a")
    assert result.error_in_exec is None, cap.stderr
    assert cap.stdout.strip() == fit.to_code().strip()
    assert "rating" in cap.stdout


def test_live_cell_publishes_widget_and_static_fallback(ip, movies):
    ip.user_ns["movies"] = movies
    result, cap = run(ip, "%%kms -o live1 genre ~ rating + votes\n" + SMALL)
    assert result.error_in_exec is None, cap.stderr
    mimes = [set(o.data) for o in cap.outputs]
    assert any(WIDGET_MIME in m for m in mimes), mimes
    assert any(("image/png" in m or "text/html" in m) for m in mimes), mimes
    # the live chart carries its own fallback next to the widget
    assert any(WIDGET_MIME in m and ({"image/png", "text/html"} & m) for m in mimes), mimes


def _history_charts(cap):
    """The HistoryChart widgets the cell displayed (looked up by their widget model id)."""
    from ipywidgets.widgets.widget import _instances

    from kms_jupyter.notebook.charts import HistoryChart

    ids = [o.data[WIDGET_MIME]["model_id"] for o in cap.outputs if WIDGET_MIME in o.data]
    # the chart is displayed once with a display id and refreshed at the end
    # (update_display), which the capture records as a second output of the same widget
    ids = list(dict.fromkeys(ids))
    return [_instances[i] for i in ids if isinstance(_instances.get(i), HistoryChart)]


def test_live_chart_receives_every_epoch(ip, movies):
    ip.user_ns["movies"] = movies
    src = "%%kms -o live2 genre ~ rating + votes\nunits = [8]\nepochs = 2\nseed = 1\n"
    result, cap = run(ip, src)
    assert result.error_in_exec is None, cap.stderr
    charts = _history_charts(cap)
    assert len(charts) == 1
    chart = charts[0]
    assert [r["epoch"] for r in chart.records] == [1, 2]
    assert chart.partial is False
    fit = ip.user_ns["live2"]
    assert [r["loss"] for r in chart.records] == pytest.approx(list(fit.history["loss"]))


def test_interrupt_keeps_partial_fit(ip, movies):
    """A KeyboardInterrupt raised during fit (what a kernel interrupt does) keeps the partial
    fit in the -o variable, says so in one line, and the live chart shows where it stopped."""
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    ip.user_ns["movies"] = movies
    ip.user_ns["Interrupt"] = Interrupt
    src = ("%%kms -o out1 genre ~ rating + votes\n"
           "units = [8]\nepochs = 3\nseed = 1\ncallbacks = [Interrupt()]\n")
    result, cap = run(ip, src)
    assert result.error_in_exec is None, cap.stderr
    fit = ip.user_ns["out1"]
    assert ip.user_ns["_kms"] is fit
    assert fit.partial and fit.partial_reason == "interrupted"
    assert len(fit.history) == 1
    assert "interrupted at epoch 1/3 — partial fit kept in out1" in cap.stdout
    assert "Traceback" not in cap.stderr
    assert "interrupted" not in cap.stderr  # the engine's warning is replaced by the note
    (chart,) = _history_charts(cap)
    assert chart.partial is True and len(chart.records) == 1


def test_same_seed_same_history_in_magic_and_engine(ip, movies):
    from kms_jupyter import kms

    ip.user_ns["movies"] = movies
    body = "units = [8]\nepochs = 2\nseed = 7\nbatch_size = 64\n"
    for name in ("det_a", "det_b"):
        result, cap = run(ip, f"%%kms -q -o {name} genre ~ rating + votes\n" + body)
        assert result.error_in_exec is None, cap.stderr
    a, b = ip.user_ns["det_a"], ip.user_ns["det_b"]
    direct = kms("genre ~ rating + votes", movies, units=[8], epochs=2, seed=7, batch_size=64)
    assert a.history.equals(b.history)
    assert a.history.equals(direct.history)
    assert a.predictions.equals(direct.predictions)


def test_error_in_user_callback_keeps_partial_fit(ip, movies):
    import keras

    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise ValueError("boom")

    ip.user_ns["movies"] = movies
    ip.user_ns["Boom"] = Boom
    src = ("%%kms -q genre ~ rating + votes\n"
           "units = [8]\nepochs = 3\nseed = 1\ncallbacks = [Boom()]\n")
    result, cap = run(ip, src)
    assert result.error_in_exec is None, cap.stderr
    fit = ip.user_ns["_kms"]
    assert fit.partial and fit.partial_reason.startswith("error")
    assert len(fit.history) == 2
    assert "stopped by an error at epoch 2/3 (ValueError: boom) — partial fit kept in _kms" \
        in cap.stdout


def test_engine_warnings_shown_as_one_line(ip, movies):
    """kms() warns about identifier-like columns; the magic shows it as one line naming the
    column, without the warnings module's source-line echo."""
    ip.user_ns["movies"] = movies
    result, cap = run(ip, "%%kms -q genre ~ rating + title\nunits = [8]\nepochs = 1\nseed = 1\n")
    assert result.error_in_exec is None, cap.stderr
    lines = [ln for ln in cap.stderr.splitlines() if ln.strip()]
    assert any(ln.startswith("UserWarning: ") and "'title'" in ln for ln in lines), cap.stderr
    assert "magic.py" not in cap.stderr and "fit = kms(" not in cap.stderr


def test_kernel_interrupt_keeps_partial_fit(tmp_path):
    """A real ipykernel: %load_ext, a long %%kms cell, SIGINT through the kernel manager."""
    import time

    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ)
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    for var in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                "KERAS_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env.setdefault(var, str(tmp_path / var.lower()))
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)

    def execute(code, on_message=None, timeout=180):
        msg_id = kc.execute(code)
        text = []
        while True:
            msg = kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if on_message:
                on_message(kind, content)
            if kind == "stream":
                text.append(content["text"])
            elif kind == "error":
                text.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                break
        # ipykernel flushes stdout from its IOPub thread: under load a stream message can
        # arrive just after 'idle', so collect stragglers of this cell for a moment
        import queue

        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                text.append(msg["content"]["text"])
        return "".join(text)

    try:
        out = execute("%load_ext kms_jupyter\nfrom kms_jupyter.datasets import movies_like\n"
                      "movies = movies_like(n=300)")
        assert out == "", out
        state = {"shown": None, "sent": False}

        def interrupt_once_training(kind, content):
            if kind == "display_data" and WIDGET_MIME in content.get("data", {}):
                state["shown"] = time.monotonic()
            if state["shown"] and not state["sent"] and time.monotonic() - state["shown"] > 1.5:
                km.interrupt_kernel()
                state["sent"] = True

        # the chart's comm messages keep arriving during training, so the hook gets called
        out = execute("%%kms -o out1 genre ~ rating + votes\nunits = [8]\nepochs = 1000\n"
                      "batch_size = 8\nseed = 1", on_message=interrupt_once_training)
        assert state["sent"], "training never started"
        assert "partial fit kept in out1" in out and "interrupted at epoch" in out, out
        assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
        out = execute("print(out1.partial, out1.partial_reason, 0 < len(out1.history) < 1000,"
                      " _kms is out1)")
        assert out.strip() == "True interrupted True True", out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_formula_line_is_not_variable_expanded(ip, movies):
    """formulaic's {python expression} must reach the engine as written (IPython's var_expand
    would substitute {rating * 2} from the notebook's namespace)."""
    ip.user_ns["movies"] = movies
    ip.user_ns["rating"] = 3
    result, cap = run(ip, "%%kms -q genre ~ {rating * 2} + votes\nunits = [4]\nepochs = 1\n")
    assert result.error_in_exec is None, cap.stderr
    assert list(ip.user_ns["_kms"].design.columns) == ["rating * 2", "votes"]


@pytest.fixture
def html_ip(ip):
    """The shell publishing text/html too, as a notebook kernel does (the terminal test shell
    only formats text/plain)."""
    formatter = ip.display_formatter
    before = list(formatter.active_types), formatter.formatters["text/html"].enabled
    if "text/html" not in formatter.active_types:
        formatter.active_types.append("text/html")
    formatter.formatters["text/html"].enabled = True
    yield ip
    formatter.active_types[:] = before[0]
    formatter.formatters["text/html"].enabled = before[1]


def test_layer_table_shows_before_the_live_chart(html_ip, movies):
    """DESIGN.md: the cell shows the layer table and Keras summary, then the live chart, then
    the results (and the layer table only once)."""
    ip = html_ip
    ip.user_ns["movies"] = movies
    seen = []

    def user_hook(model, overview):  # a body's own on_built still runs
        seen.append(overview.index.tolist())

    ip.user_ns["user_hook"] = user_hook
    result, cap = run(ip, "%%kms -o built1 genre ~ rating + votes\n" + SMALL + "on_built = user_hook\n")
    assert result.error_in_exec is None, cap.stderr
    kinds = ["widget" if WIDGET_MIME in o.data else "html" for o in cap.outputs]
    first_widget = kinds.index("widget")
    layers = [i for i, o in enumerate(cap.outputs)
              if "<b>Layers</b>" in o.data.get("text/html", "") and WIDGET_MIME not in o.data]
    assert len(layers) == 1, kinds
    assert layers[0] < first_widget, kinds
    shown = cap.outputs[layers[0]].data["text/html"]
    assert "Keras summary" in shown and "overflow-x:auto" in shown and "regularizers" in shown
    assert seen == [ip.user_ns["built1"].layers_overview.index.tolist()]


def test_no_live_and_quiet_with_on_built(html_ip, movies):
    ip = html_ip
    ip.user_ns["movies"] = movies
    result, cap = run(ip, "%%kms --no-live genre ~ rating + votes\n" + SMALL)
    assert result.error_in_exec is None, cap.stderr
    htmls = [o.data.get("text/html", "") for o in cap.outputs]
    assert sum("<b>Layers</b>" in h for h in htmls) == 1
    assert "<b>Layers</b>" in htmls[0]
    result, cap = run(ip, "%%kms --quiet genre ~ rating + votes\n" + SMALL)
    assert result.error_in_exec is None and cap.outputs == []


@pytest.mark.parametrize("line, culprit, hint", [
    ('loss = "mse2"', "unknown loss 'mse2'", "'mse'"),
    ('loss = "foo"', "unknown loss 'foo'", "Known names include"),
    ('metrics = ["acc2"]', "unknown metric 'acc2'", "'acc'"),
])
def test_unknown_loss_or_metric_is_a_one_line_usage_error(ip, movies, line, culprit, hint):
    ip.user_ns["movies"] = movies
    msg = assert_usage_error(ip, "%%kms genre ~ rating + votes\n" + SMALL + line + "\n", culprit, hint)
    assert "ValueError" not in msg


def test_name_hints_never_suggest_ipython_injected_names(ip, movies):
    ip.user_ns["movies"] = movies
    with pytest.raises(UsageError) as info:
        ip.run_cell_magic("kms", "--data movies.head(opn) genre ~ rating", SMALL)
    message = str(info.value)
    assert "'opn' is not defined" in message
    assert "'open'" not in message  # IPython puts open/exit/quit in user_ns; they are not the user's
