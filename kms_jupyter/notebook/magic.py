"""The ``%%kms`` / ``%kms`` / ``%kms_panel`` magics (thin: parsing lives in magic_parse).

``%%kms [-o NAME] [--data EXPR] [--quiet] [--no-live] formula`` with ``name = value`` lines in
the body trains ``kms(formula, data, **body)``. Choices, documented once:

* The fit is stored in ``NAME`` (``-o``) and always in ``_kms``; the magic returns ``None`` so
  the fit is not shown twice — the views are the cell's output, in this order: the layer table
  and collapsed Keras summary as soon as the network is built (kms()'s ``on_built`` hook), the
  live chart during training, then ``views.show_results(fit, layers=False)``.
* ``--quiet`` shows nothing at all (the fit is still stored); ``--no-live`` skips the live chart
  but shows the results after training.
* Defaults come from the ``Kms`` configurable (``%config Kms.epochs = 30``), then the cell body
  overrides them. Only config values that differ from kms()'s defaults are passed on.
* The line is not variable-expanded (``@no_var_expand``): formulaic formulas use ``{...}`` for
  Python expressions, which IPython would otherwise substitute.
* Every user mistake (magic syntax, body, data lookup, any ``KmsError`` from the engine) becomes
  a one-line ``UsageError`` (IPython prints it without a traceback). Other exceptions are bugs
  and keep their traceback.
* A kernel interrupt during training is caught by kms(), which returns a partial fit; it is
  stored like any fit and a one-line note says so.
* ``%kms --code NAME`` prints ``NAME.to_code()`` (``_kms`` by default).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from traitlets import Bool, Float, Int, List, Unicode, Union
from traitlets.config import Configurable

from kms_jupyter.errors import KmsError
from kms_jupyter.notebook.magic_parse import (
    MagicOptions,
    check_arg_names,
    closest,
    evaluate_body,
    outcome_names,
    parse_body,
    parse_line,
)

__all__ = ["Kms", "KmsMagics", "ENGINE_TRAITS"]

# Kms traits that are passed to kms() (the others steer the magic itself).
ENGINE_TRAITS = (
    "units",
    "activation",
    "dropout",
    "use_bias",
    "p_training",
    "validation_split",
    "epochs",
    "batch_size",
    "optimizer",
    "scale_continuous",
    "seed",
    "verbose",
    "steps_per_execution",
)


class Kms(Configurable):
    """Defaults of the ``%%kms`` magic: ``%config Kms.epochs = 30``; ``%config Kms`` lists them.

    The engine traits mirror kms()'s own defaults; a value set here is used by every later
    ``%%kms`` cell unless the cell body sets it.
    """

    units = Union(
        [List(Int()), Int()], default_value=[256, 128],
        help="Units per hidden layer, e.g. [256, 128].",
    ).tag(config=True)
    activation = Union(
        [Unicode(), List(Unicode())], default_value="relu",
        help="Activation of the hidden layers (one name, or one per layer).",
    ).tag(config=True)
    dropout = Union(
        [Float(), List(Float())], default_value=0.4,
        help="Dropout rate after each hidden layer (one value, or one per layer).",
    ).tag(config=True)
    use_bias = Bool(True, help="Whether the dense layers use a bias.").tag(config=True)
    p_training = Float(0.8, help="Share of rows used for training (the rest is the test set).").tag(
        config=True
    )
    validation_split = Float(0.2, help="Share of the training rows held out for validation.").tag(
        config=True
    )
    epochs = Int(15, help="Number of training epochs.").tag(config=True)
    batch_size = Int(32, help="Rows per gradient step.").tag(config=True)
    optimizer = Unicode("adam", help="Keras optimizer name.").tag(config=True)
    scale_continuous = Unicode(
        "z", allow_none=True, help="Scaling of continuous predictors: 'z', 'zero_one' or None."
    ).tag(config=True)
    seed = Int(None, allow_none=True, help="Seed for the split and the weights (None: random).").tag(
        config=True
    )
    verbose = Int(0, help="Keras verbosity during fit (0: silent).").tag(config=True)
    steps_per_execution = Union(
        [Unicode(), Int()], default_value="auto",
        help="Batches per compiled step ('auto' or a number).",
    ).tag(config=True)
    live = Bool(True, help="Show the live training chart (the cell's --no-live turns it off).").tag(
        config=True
    )
    quiet = Bool(False, help="Show nothing, only store the fit (like --quiet).").tag(config=True)

    def engine_defaults(self) -> dict[str, Any]:
        """The engine traits whose value differs from their default (to pass to kms())."""
        out = {}
        for name in ENGINE_TRAITS:
            trait = self.traits()[name]
            value = getattr(self, name)
            if value != trait.default():
                out[name] = list(value) if isinstance(value, list) else value
        return out


def _one_line(msg: Any) -> str:
    text = " ".join(str(msg).split("\n")).strip()
    return text or "kms failed"


def partial_note(reason: str | None, done: int, planned: Any, name: str) -> str:
    """``interrupted at epoch 7/15 — partial fit kept in out1`` (one line)."""
    reason = reason or "interrupted"
    if reason.startswith("error"):
        detail = reason.partition(":")[2].strip()
        head = f"stopped by an error at epoch {done}/{planned}" + (f" ({detail})" if detail else "")
    else:
        head = f"{reason} at epoch {done}/{planned}"
    return _one_line(f"{head} — partial fit kept in {name}")


def _show_warnings(caught: list, fit: Any) -> None:
    """Engine warnings as one line each (``UserWarning: ...``), without the source line that
    ``warnings`` would print (always ``fit = kms(...)`` in magic.py). The engine's own
    "training interrupted/stopped" warning is dropped: the magic's partial-fit note says it."""
    partial = bool(getattr(fit, "partial", False))
    for w in caught:
        text = _one_line(w.message)
        if partial and text.startswith("training ") and "partial" in text:
            continue
        print(f"{w.category.__name__}: {text}", file=sys.stderr)


def _kms_function():
    from kms_jupyter import kms  # imports the engine (and TensorFlow) only now

    return kms


def _valid_arg_names() -> list[str]:
    """Names the cell body may set: kms()'s arguments, kerasformula's aliases, and ``data``.

    ``kms_jupyter.core.arguments`` is pure (no Keras), so names are checked before TensorFlow
    is imported.
    """
    from kms_jupyter.core.arguments import ALIASES, DEFAULTS

    return list(dict.fromkeys([*DEFAULTS, *ALIASES, "data"]))


class _ShowOnStart:
    """HistorySink wrapper that displays the chart when training starts, not before: a mistake
    found by the engine (unknown column, bad argument) then leaves no empty chart behind."""

    def __init__(self, chart: Any):
        self.chart = chart
        self.shown = False

    def start(self, planned_epochs: int, metric_names: list) -> None:
        if not self.shown:
            from IPython.display import display

            # with a display id, so the chart's finish() refreshes the static fallback
            self.chart.display_handle = display(self.chart, display_id=True)
            self.shown = True
        self.chart.start(planned_epochs, metric_names)

    def update(self, epoch_records: list, progress: dict) -> None:
        self.chart.update(epoch_records, progress)

    def finish(self, partial: bool, **kw: Any) -> None:
        self.chart.finish(partial, **kw)


@magics_class
class KmsMagics(Magics):
    """``%%kms`` (cell), ``%kms`` (line), ``%kms_panel`` (line)."""

    def __init__(self, shell=None, config_obj: Kms | None = None, **kw):
        super().__init__(shell=shell, **kw)
        self.settings = config_obj if config_obj is not None else Kms(parent=shell)

    # -------------------------------------------------------------------- magics
    @no_var_expand
    @cell_magic("kms")
    def kms_cell(self, line: str, cell: str) -> None:
        """Train ``kms(formula, data, **body)`` with a live chart, then show the results.

        Usage::

            %%kms [-o NAME] [--data EXPR] [--quiet] [--no-live] outcome ~ predictors
            seed = 12345            # any kms() argument, as Python
            units = [64, 32]

        Options come before the formula; everything from the first non-option is the
        formula (``genre ~ . -director -title`` keeps its dashes).

        -o, --out NAME   store the fit in NAME (it is always stored in ``_kms`` too)
        --data EXPR      the DataFrame; without it, the one DataFrame in the notebook that has
                         the outcome column is used
        -q, --quiet      show nothing, only store the fit
        --no-live        no live chart; results are still shown after training

        Defaults: ``%config Kms`` lists them, ``%config Kms.epochs = 30`` sets one; the cell
        body overrides them. Interrupting the kernel keeps the partial fit. ``%kms --code NAME``
        prints plain-Python code that reproduces the model.
        """
        try:
            opts = parse_line(line, cell=True)
        except KmsError as e:
            raise UsageError(_one_line(e)) from None
        return self._train(opts, cell or "")

    @no_var_expand
    @line_magic("kms")
    def kms_line(self, line: str) -> None:
        """``%kms [-o NAME] [--data EXPR] [--quiet] [--no-live] formula`` trains with the
        ``%config Kms`` defaults; ``%kms --code [NAME]`` prints ``NAME.to_code()``."""
        try:
            opts = parse_line(line, cell=False)
        except KmsError as e:
            raise UsageError(_one_line(e)) from None
        if opts.code:
            return self._print_code(opts.code_target or "_kms")
        return self._train(opts, "")

    @line_magic("kms_panel")
    def kms_panel(self, line: str):
        """``%kms_panel [DATAFRAME]``: the widget panel (formula editor, Train/Stop, sweep,
        leaderboard). Without a name, the notebook's only DataFrame is used. ``%config Kms``
        values that the panel knows (epochs, batch_size, seed...) are its start values."""
        name = line.strip()
        if name:
            data = self._lookup_data(name, option="%kms_panel")
        else:
            frames = self._frames()
            if len(frames) == 1:
                name, data = next(iter(frames.items()))
            elif not frames:
                raise UsageError("%kms_panel needs a DataFrame: %kms_panel NAME")
            else:
                raise UsageError(
                    f"%kms_panel: several DataFrames ({', '.join(sorted(frames))}); "
                    f"choose one: %kms_panel NAME"
                )
        try:
            from kms_jupyter.notebook.panel import KmsPanel
            from kms_jupyter.notebook.panel_state import PanelState
        except ImportError as e:
            raise UsageError(
                f"%kms_panel is not available: kms_jupyter.notebook.panel cannot be imported ({e})"
            ) from None
        fields = getattr(PanelState, "__dataclass_fields__", {})
        start = {k: v for k, v in self.settings.engine_defaults().items() if k in fields}
        try:
            return KmsPanel(data, data_name=name if name.isidentifier() else None, **start)
        except KmsError as e:
            raise UsageError(_one_line(e)) from None

    # -------------------------------------------------------------------- pieces
    @property
    def user_ns(self) -> dict:
        return self.shell.user_ns

    def _print_code(self, name: str) -> None:
        ns = self.user_ns
        if name not in ns:
            fits = [k for k, v in ns.items() if hasattr(v, "to_code") and not k.startswith("__")]
            hint = closest(name, fits)
            raise UsageError(
                f"%kms --code: no variable '{name}'"
                + (f" (did you mean '{hint}'?)" if hint else "")
                + ("" if name != "_kms" else "; train a model with %%kms first")
            )
        fit = ns[name]
        if not callable(getattr(fit, "to_code", None)):
            raise UsageError(f"%kms --code: '{name}' is a {type(fit).__name__}, not a KmsFit")
        try:
            print(fit.to_code())
        except KmsError as e:
            raise UsageError(_one_line(e)) from None

    def _frames(self) -> dict[str, Any]:
        import pandas as pd

        return {
            k: v
            for k, v in self.user_ns.items()
            if not k.startswith("_") and isinstance(v, pd.DataFrame)
        }

    def _user_names(self) -> list[str]:
        """The user's own variables: IPython's injected names (open, exit, In...) are hidden."""
        hidden = getattr(self.shell, "user_ns_hidden", {})
        return [k for k in self.user_ns if not k.startswith("_") and k not in hidden]

    def _lookup_data(self, expr: str, option: str = "--data") -> Any:
        import pandas as pd

        ns = self.user_ns
        if expr.isidentifier():
            if expr not in ns:
                hint = closest(expr, self._frames()) or closest(
                    expr, self._user_names()
                )
                raise UsageError(
                    f"{option} {expr}: no variable '{expr}' in the notebook"
                    + (f" (did you mean '{hint}'?)" if hint else "")
                )
            obj = ns[expr]
        else:
            try:
                obj = eval(expr, ns)  # noqa: S307 - the user's own expression
            except NameError as e:
                missing = getattr(e, "name", None) or str(e)
                hint = closest(missing, self._user_names())
                raise UsageError(
                    f"{option} {expr}: name '{missing}' is not defined"
                    + (f" (did you mean '{hint}'?)" if hint else "")
                ) from None
            except Exception as e:  # noqa: BLE001 - shown as one line
                raise UsageError(
                    _one_line(f"{option} {expr}: {type(e).__name__}: {e}")
                ) from None
        if not isinstance(obj, pd.DataFrame):
            raise UsageError(
                f"{option} {expr}: is a {type(obj).__name__}, not a pandas DataFrame"
            )
        return obj

    def _infer_data(self, formula: str) -> tuple[str, Any]:
        frames = self._frames()
        wanted = outcome_names(formula)
        shown = ", ".join(f"'{w}'" for w in wanted) or "(none)"
        if not frames:
            raise UsageError(
                "no pandas DataFrame in the notebook; create one or pass --data NAME"
            )
        hits: dict[int, list[str]] = {}
        for name, df in frames.items():
            if any(w in df.columns for w in wanted):
                hits.setdefault(id(df), []).append(name)
        if not hits:
            best = None
            for name, df in frames.items():
                for w in wanted:
                    c = closest(w, [str(c) for c in df.columns])
                    if c is not None and best is None:
                        best = (w, c, name)
            hint = f" (did you mean '{best[1]}' in {best[2]}?)" if best else ""
            raise UsageError(
                f"no DataFrame in the notebook has the outcome column {shown}{hint}; "
                f"DataFrames: {', '.join(sorted(frames))}; or pass --data NAME"
            )
        if len(hits) > 1:
            names = sorted(names[0] for names in hits.values())
            raise UsageError(
                f"several DataFrames have the outcome column {shown}: {', '.join(names)}; "
                f"choose one with --data NAME"
            )
        names = next(iter(hits.values()))
        return names[0], frames[names[0]]

    # -------------------------------------------------------------------- training
    def _train(self, opts: MagicOptions, body: str) -> None:
        settings = self.settings
        ns = self.user_ns
        try:
            args = parse_body(body)
        except KmsError as e:
            raise UsageError(_one_line(e)) from None

        try:
            check_arg_names(args, _valid_arg_names())
        except KmsError as e:
            raise UsageError(_one_line(e)) from None

        # Data next (cheap, no TensorFlow) unless the body sets it.
        data = None
        body_sets_data = any(a.name == "data" for a in args)
        if body_sets_data and opts.data is not None:
            raise UsageError("data is given twice: by --data and in the cell body")
        if not body_sets_data:
            if opts.data is not None:
                data = self._lookup_data(opts.data)
            else:
                _, data = self._infer_data(opts.formula)

        try:
            values = evaluate_body(args, ns)
        except KmsError as e:
            raise UsageError(_one_line(e)) from None
        if body_sets_data:
            import pandas as pd

            data = values.pop("data")
            if not isinstance(data, pd.DataFrame):
                raise UsageError(
                    f"cell body: data is a {type(data).__name__}, not a pandas DataFrame"
                )

        kwargs = settings.engine_defaults()
        kwargs.update(values)
        quiet = opts.quiet or settings.quiet
        live = not quiet and opts.live and settings.live
        out_name = opts.out or "_kms"

        callbacks = values.get("callbacks")
        callbacks = list(callbacks) if callbacks else []
        live_cb = None
        if live:
            live_cb = self._start_live(kwargs)
            # first, so the chart has every finished epoch even when a later callback raises
            callbacks.insert(0, live_cb)
        if callbacks:
            kwargs["callbacks"] = callbacks

        built = {"shown": False, "built": False}
        kwargs["on_built"] = self._on_built(opts.formula, kwargs.get("on_built"), built,
                                            show=not quiet)

        kms = _kms_function()
        fit = None
        caught: list = []
        try:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    fit = kms(opts.formula, data, **kwargs)
            except KmsError as e:
                raise UsageError(_one_line(e)) from None
            except KeyboardInterrupt:
                # kms() keeps the fit for an interrupt during training; this one came before the
                # network existed (or was a second press while evaluating): say so in one line
                raise UsageError(
                    "%%kms interrupted before training started: nothing was trained"
                    if not built["built"] else
                    "%%kms interrupted twice while evaluating: the fit was not kept"
                ) from None
            finally:
                _show_warnings(caught, fit)
        finally:
            if live_cb is not None and live_cb._kms_sink.shown:
                try:  # a no-op when Keras already finished it (on_train_end)
                    live_cb.close(
                        partial=True if fit is None else bool(fit.partial),
                        reason=None if fit is None else fit.partial_reason,
                    )
                except Exception:  # noqa: BLE001 - the chart must not hide the result
                    pass

        ns["_kms"] = fit
        if opts.out:
            ns[opts.out] = fit
        if getattr(fit, "partial", False):
            history = getattr(fit, "history", None)
            done = len(history) if history is not None else 0
            planned = getattr(fit, "epochs", None) or kwargs.get("epochs") or "?"
            print(partial_note(getattr(fit, "partial_reason", None), done, planned, out_name))
        if not quiet:
            self._show_results(fit, layers=not built["shown"])
        return None

    @staticmethod
    def _on_built(formula: str, user_hook: Any, built: dict, show: bool = True):
        """kms(on_built=...) for this cell: the layer table and the collapsed Keras summary
        appear once the network is built, before the live chart (then the user's own hook)."""

        def on_built(model, overview):
            built["built"] = True
            if show:
                from IPython.display import HTML, display

                from kms_jupyter.notebook.views import built_html

                display(HTML(built_html(formula, model, overview)))
                built["shown"] = True
            if user_hook is not None:
                user_hook(model, overview)

        return on_built

    def _start_live(self, kwargs: dict):
        """The LiveHistory callback for this cell; its chart appears when training starts."""
        from kms_jupyter.notebook.charts import HistoryChart
        from kms_jupyter.notebook.views import live_callback

        epochs = kwargs.get("epochs")
        sink = _ShowOnStart(HistoryChart(planned_epochs=epochs))
        cb = live_callback(sink, planned_epochs=epochs)
        cb._kms_sink = sink
        return cb

    def _show_results(self, fit, layers: bool = True) -> None:
        from kms_jupyter.notebook.views import show_results

        show_results(fit, layers=layers)
