"""KmsPanel: widget-driven tuning of kms() models, every run kept in a leaderboard.

>>> panel = KmsPanel(movies)        # or %kms_panel movies
>>> panel                           # outcome, formula editor, predictors, layers, settings, Train
>>> panel.runs[0]                   # the KmsFit of the first run (runs live on this object)

Thin on purpose: the rules (widget state -> kms() arguments, formula <-> predictors picker,
sweeps, leaderboard rows, the "Copy as %%kms" cell) are in :mod:`.panel_state`; training in a
background thread with Stop is in :mod:`.panel_runner`. Everything shown as HTML is escaped.
"""
from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

import ipywidgets as widgets

from kms_jupyter.errors import KmsDataError, KmsTypeError
from kms_jupyter.notebook import panel_state as ps
from kms_jupyter.notebook.formula_editor import FormulaEditor
from kms_jupyter.notebook.panel_runner import BackgroundRunner, one_line, run_kms

__all__ = ["KmsPanel", "RunRecord"]

_NONE = "none"
_WIDE = {"description_width": "initial"}


@dataclass
class RunRecord:
    """What the panel keeps per run besides the fit: the exact call and what kms() warned."""

    formula: str
    kwargs: dict
    warnings: list[str] = field(default_factory=list)
    chart: Any = None


def _opt(value: str) -> str | None:
    return None if value == _NONE else value


def _html(markup: str) -> widgets.HTML:
    return widgets.HTML(value=markup)


class KmsPanel(widgets.VBox):
    """Outcome, formula editor synced with a predictors picker, hyperparameters, Train / Stop,
    a sweep over one setting, and a leaderboard of every run (``panel.runs[i]`` is the KmsFit).

    ``outcome``/``formula`` choose the start values (default: the first categorical column with
    2-50 levels, and ``outcome ~ .`` minus identifier-like columns); ``data_name`` is the
    variable name written into "Copy as %%kms" (default: looked up in the notebook); any
    :class:`~kms_jupyter.notebook.panel_state.PanelState` field can be given as a keyword
    (``epochs=5, seed=1``...).
    """

    def __init__(self, data: Any, outcome: str | None = None, formula: str | None = None,
                 data_name: str | None = None, **settings: Any) -> None:
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise KmsTypeError(f"KmsPanel needs a pandas DataFrame, got {type(data).__name__}.")
        if data.empty:
            raise KmsDataError("KmsPanel: the DataFrame has no rows (or no columns).")
        self.data = data
        self.columns = [str(c) for c in data.columns]
        self.data_name = data_name
        self.runs: list[Any] = []
        self.records: list[RunRecord] = []
        self.runner = BackgroundRunner()
        self._syncing = False
        self._layer_rows: list[tuple[widgets.HBox, widgets.BoundedIntText, widgets.Dropdown,
                                     widgets.BoundedFloatText]] = []

        if outcome is None:
            outcome = ps.default_outcome(data)
        elif str(outcome) not in self.columns:
            raise KmsDataError(f"KmsPanel: outcome {outcome!r} is not a column of the data.")
        outcome = str(outcome)
        state = ps.PanelState(formula=formula or ps.default_formula(data, outcome))
        for key, value in settings.items():
            if not hasattr(state, key):
                from kms_jupyter.errors import KmsArgumentError

                raise KmsArgumentError(f"KmsPanel got an unknown setting {key!r}; settings are "
                                       f"{', '.join(f.name for f in ps.dataclasses.fields(state))}.")
            setattr(state, key, value)

        # -- model: outcome, formula, predictors ----------------------------------------------
        self.outcome = widgets.Dropdown(options=self.columns, value=outcome, description="outcome",
                                        style=_WIDE, layout=widgets.Layout(width="260px"))
        self.editor = FormulaEditor(columns=self.columns, value=state.formula)
        self.predictors = widgets.SelectMultiple(
            options=[c for c in self.columns if c != outcome], description="predictors",
            rows=min(8, max(2, len(self.columns) - 1)), style=_WIDE,
            layout=widgets.Layout(width="260px"))
        self._set_predictors_from_formula(state.formula)

        # -- network ---------------------------------------------------------------------------
        self.layers_box = widgets.VBox()
        self.add_layer_button = widgets.Button(description="+ layer", layout=widgets.Layout(width="80px"))
        self.add_layer_button.on_click(lambda _b: self.add_layer())

        # -- training settings -----------------------------------------------------------------
        self.epochs = widgets.BoundedIntText(value=15, min=1, max=100_000, description="epochs",
                                             style=_WIDE, layout=widgets.Layout(width="150px"))
        self.batch_size = widgets.BoundedIntText(value=32, min=1, max=1_000_000, description="batch size",
                                                 style=_WIDE, layout=widgets.Layout(width="170px"))
        self.optimizer = widgets.Dropdown(options=ps.OPTIMIZER_CHOICES, description="optimizer",
                                          style=_WIDE, layout=widgets.Layout(width="190px"))
        self.learning_rate = widgets.Text(value="", placeholder="default", description="learning rate",
                                          style=_WIDE, layout=widgets.Layout(width="210px"))
        self.scaling = widgets.Dropdown(options=[("z-score", "z"), ("0–1", "zero_one"), ("none", _NONE)],
                                        description="scaling", style=_WIDE, layout=widgets.Layout(width="180px"))
        regs = [_NONE, "l1", "l2", "l1_l2"]
        self.kernel_regularizer = widgets.Dropdown(options=regs, description="kernel reg.", style=_WIDE,
                                                   layout=widgets.Layout(width="180px"))
        self.activity_regularizer = widgets.Dropdown(options=regs, description="activity reg.",
                                                     style=_WIDE, layout=widgets.Layout(width="190px"))
        self.class_weight = widgets.Dropdown(options=[_NONE, "balanced"], description="class weights",
                                             style=_WIDE, layout=widgets.Layout(width="210px"))
        self.p_training = widgets.BoundedFloatText(value=0.8, min=0.05, max=1.0, step=0.05,
                                                   description="p_training", style=_WIDE,
                                                   layout=widgets.Layout(width="170px"))
        self.validation_split = widgets.BoundedFloatText(value=0.2, min=0.0, max=0.9, step=0.05,
                                                         description="validation split", style=_WIDE,
                                                         layout=widgets.Layout(width="200px"))
        self.early_stopping = widgets.BoundedIntText(value=0, min=0, max=10_000,
                                                     description="early stopping patience (0 = off)",
                                                     style=_WIDE, layout=widgets.Layout(width="290px"))
        self.seed = widgets.Text(value="12345", placeholder="random", description="seed", style=_WIDE,
                                 layout=widgets.Layout(width="160px"))

        # -- actions ---------------------------------------------------------------------------
        self.train_button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="warning", icon="stop",
                                          disabled=True)
        self.sweep_setting = widgets.Dropdown(options=list(ps.SWEEP_SETTINGS), value="dropout",
                                              description="sweep", style=_WIDE,
                                              layout=widgets.Layout(width="220px"))
        self.sweep_values = widgets.Text(value="0.2, 0.4, 0.6", description="values", style=_WIDE,
                                         layout=widgets.Layout(width="240px"))
        self.sweep_button = widgets.Button(description="Run sweep", icon="list")
        self.status = _html("<span>Ready.</span>")
        self.live = widgets.VBox()

        # -- leaderboard -----------------------------------------------------------------------
        self.board = _html(ps.leaderboard_html([]))
        self.run_select = widgets.SelectMultiple(options=[], description="select runs", rows=4,
                                                 style=_WIDE, layout=widgets.Layout(width="95%"))
        self.copy_kms_button = widgets.Button(description="Copy as %%kms", icon="copy")
        self.copy_code_button = widgets.Button(description="Copy as code", icon="code")
        self.copy_area = widgets.Textarea(value="", placeholder="select a run, then Copy as %%kms / "
                                          "Copy as code; the text appears here to copy",
                                          layout=widgets.Layout(width="95%", height="140px"))
        self.detail = widgets.VBox()

        self.set_state(state)
        self._wire()
        super().__init__(children=self._layout())
        self.add_class("kms-panel")
        for name in ("outcome", "predictors", "epochs", "batch_size", "seed", "train_button",
                     "stop_button", "sweep_button", "status", "live", "board", "run_select",
                     "copy_kms_button", "copy_code_button", "copy_area", "detail", "layers_box"):
            # stable hooks for styling and for the browser tests
            getattr(self, name).add_class("kms-panel-" + name.replace("_", "-"))

    def __repr__(self) -> str:
        return (f"<KmsPanel {len(self.data)} rows × {len(self.columns)} columns, "
                f"{len(self.runs)} run(s); panel.runs[i] is the KmsFit of run i+1>")

    def _repr_mimebundle_(self, **kwargs: Any):
        """The widget view, plus a short text and the leaderboard as HTML for viewers without
        a kernel (nbconvert, GitHub)."""
        data = dict(super()._repr_mimebundle_(**kwargs) or {})
        data["text/plain"] = repr(self)
        data["text/html"] = (f"<div class='kms-panel-static'><b>kms panel</b> · "
                             f"{len(self.data)} rows × {len(self.columns)} columns"
                             f"{ps.leaderboard_html(self.leaderboard_rows())}</div>")
        return data

    # ------------------------------------------------------------------ layout & wiring
    def _layout(self) -> list[widgets.Widget]:
        title = _html(f"<b>kms panel</b> · {len(self.data)} rows × {len(self.columns)} columns")
        model = widgets.HBox([widgets.VBox([self.outcome, self.predictors]),
                              widgets.VBox([_html("<b>formula</b>"), self.editor],
                                           layout=widgets.Layout(flex="1 1 auto"))])
        network = widgets.VBox([_html("<b>hidden layers</b> (units · activation · dropout)"),
                                self.layers_box, self.add_layer_button])
        training = widgets.VBox([
            widgets.HBox([self.epochs, self.batch_size, self.optimizer, self.learning_rate]),
            widgets.HBox([self.scaling, self.kernel_regularizer, self.activity_regularizer,
                          self.class_weight]),
            widgets.HBox([self.p_training, self.validation_split, self.early_stopping, self.seed]),
        ])
        actions = widgets.HBox([self.train_button, self.stop_button, self.sweep_setting,
                                self.sweep_values, self.sweep_button])
        board = widgets.VBox([_html("<b>leaderboard</b>"), self.board, self.run_select,
                              widgets.HBox([self.copy_kms_button, self.copy_code_button]),
                              self.copy_area, self.detail])
        return [title, model, network, training, actions, self.status, self.live, board]

    def _wire(self) -> None:
        self.editor.observe(self._on_formula, names="value")
        self.editor.on_submit(lambda _formula: self.train())
        self.predictors.observe(self._on_predictors, names="value")
        self.outcome.observe(self._on_outcome, names="value")
        self.train_button.on_click(lambda _b: self.train())
        self.stop_button.on_click(lambda _b: self.stop())
        self.sweep_button.on_click(lambda _b: self.sweep())
        self.run_select.observe(self._on_select, names="value")
        self.copy_kms_button.on_click(lambda _b: self.copy_as_kms())
        self.copy_code_button.on_click(lambda _b: self.copy_as_code())

    # ------------------------------------------------------------------ layers
    def add_layer(self, units: int = 32, activation: str = "relu", dropout: float = 0.4) -> None:
        units_w = widgets.BoundedIntText(value=int(units), min=1, max=100_000,
                                         layout=widgets.Layout(width="90px"))
        acts = list(ps.ACTIVATION_CHOICES)
        if activation not in acts:
            acts.append(activation)
        act_w = widgets.Dropdown(options=acts, value=activation, layout=widgets.Layout(width="110px"))
        drop_w = widgets.BoundedFloatText(value=float(dropout), min=0.0, max=0.95, step=0.05,
                                          layout=widgets.Layout(width="80px"))
        remove = widgets.Button(description="×", tooltip="remove this layer",
                                layout=widgets.Layout(width="36px"))
        row = widgets.HBox([units_w, act_w, drop_w, remove])
        entry = (row, units_w, act_w, drop_w)
        remove.on_click(lambda _b, entry=entry: self.remove_layer(entry))
        self._layer_rows.append(entry)
        self.layers_box.children = [r[0] for r in self._layer_rows]

    def remove_layer(self, which: int | tuple) -> None:
        if isinstance(which, int):
            entry = self._layer_rows[which]
        else:
            entry = which
        if len(self._layer_rows) <= 1:
            self._message("The network needs at least one hidden layer.", error=True)
            return
        self._layer_rows = [r for r in self._layer_rows if r is not entry]
        self.layers_box.children = [r[0] for r in self._layer_rows]

    # ------------------------------------------------------------------ state <-> widgets
    def read_state(self) -> ps.PanelState:
        """The panel's current settings (raises KmsArgumentError on an unreadable value)."""
        from kms_jupyter.errors import KmsArgumentError

        lr_text = self.learning_rate.value.strip()
        try:
            lr = float(lr_text) if lr_text else None
        except ValueError:
            raise KmsArgumentError(f"learning rate {lr_text!r} is not a number; e.g. 0.001, or "
                                   "leave it blank for the optimizer's default.") from None
        seed_text = self.seed.value.strip()
        try:
            seed = int(seed_text) if seed_text else None
        except ValueError:
            raise KmsArgumentError(f"seed {seed_text!r} is not a whole number; e.g. 12345, or "
                                   "leave it blank for a new random seed per run.") from None
        return ps.PanelState(
            formula=self.editor.value,
            layers=[ps.LayerState(int(u.value), str(a.value), float(d.value))
                    for _row, u, a, d in self._layer_rows],
            epochs=int(self.epochs.value), batch_size=int(self.batch_size.value),
            optimizer=str(self.optimizer.value), learning_rate=lr,
            scale_continuous=_opt(self.scaling.value),
            kernel_regularizer=_opt(self.kernel_regularizer.value),
            activity_regularizer=_opt(self.activity_regularizer.value),
            class_weight=_opt(self.class_weight.value), p_training=float(self.p_training.value),
            validation_split=float(self.validation_split.value),
            early_stopping=int(self.early_stopping.value), seed=seed)

    def set_state(self, state: ps.PanelState) -> None:
        """Show ``state`` in the widgets (the formula goes through the usual sync)."""
        for row in list(self._layer_rows):
            row[0].close()
        self._layer_rows = []
        for layer in state.layers or [ps.LayerState()]:
            self.add_layer(layer.units, layer.activation, layer.dropout)
        self.epochs.value = int(state.epochs)
        self.batch_size.value = int(state.batch_size)
        self.optimizer.value = state.optimizer
        self.learning_rate.value = "" if state.learning_rate is None else repr(float(state.learning_rate))
        self.scaling.value = state.scale_continuous or _NONE
        self.kernel_regularizer.value = state.kernel_regularizer or _NONE
        self.activity_regularizer.value = state.activity_regularizer or _NONE
        self.class_weight.value = state.class_weight or _NONE
        self.p_training.value = float(state.p_training)
        self.validation_split.value = float(state.validation_split)
        self.early_stopping.value = int(state.early_stopping)
        self.seed.value = "" if state.seed is None else str(int(state.seed))
        if state.formula and state.formula != self.editor.value:
            self.editor.value = state.formula

    # ------------------------------------------------------------------ formula sync
    def _set_predictors_from_formula(self, formula: str) -> None:
        chosen = ps.selected_predictors(formula, self.columns, self.outcome.value)
        if chosen is not None:
            allowed = set(self.predictors.options)
            self.predictors.value = tuple(c for c in chosen if c in allowed)

    def _on_formula(self, change: dict) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            formula = change["new"]
            parts = ps.split_formula(formula)
            if parts is not None:
                lhs = ps._lhs_name(parts[0])
                if lhs in self.columns and lhs != self.outcome.value:
                    self.outcome.value = lhs
                    self.predictors.options = [c for c in self.columns if c != lhs]
            self._set_predictors_from_formula(formula)
        finally:
            self._syncing = False

    def _on_predictors(self, change: dict) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.editor.value = ps.apply_selection(self.editor.value, self.columns, change["new"],
                                                   self.outcome.value)
        finally:
            self._syncing = False

    def _on_outcome(self, change: dict) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            new = change["new"]
            formula = ps.replace_outcome(self.editor.value, new, self.columns)
            self.predictors.options = [c for c in self.columns if c != new]
            self.editor.value = formula
            self._set_predictors_from_formula(formula)
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ training
    @property
    def busy(self) -> bool:
        return self.runner.busy

    def train(self, wait: bool = False, timeout: float | None = None) -> bool:
        """Train one run with the current settings (in the background); ``wait=True`` blocks
        until it ends (for scripts and headless notebooks). False when nothing was started."""
        try:
            formula, kwargs = ps.state_to_kwargs(self.read_state())
        except Exception as exc:
            self._message(one_line(exc), error=True)
            return False
        return self._start([(formula, kwargs)], wait, timeout)

    def sweep(self, setting: str | None = None, values: Any = None, wait: bool = False,
              timeout: float | None = None) -> bool:
        """Train one run per value of one setting (default: the sweep widgets), in order."""
        setting = setting or self.sweep_setting.value
        values = self.sweep_values.value if values is None else values
        try:
            states = ps.expand_sweep(self.read_state(), setting, values)
            calls = [ps.state_to_kwargs(s) for s in states]
        except Exception as exc:
            self._message(one_line(exc), error=True)
            return False
        return self._start(calls, wait, timeout, sweep=f"{setting} = {values}")

    def stop(self) -> bool:
        """Stop the current run at its next batch (it is kept, marked partial) and cancel the
        rest of a sweep."""
        if self.runner.stop():
            self._message("Stopping at the next batch…")
            return True
        return False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the background run (or sweep) ends; True when it has."""
        return self.runner.join(timeout)

    def _start(self, calls: list[tuple[str, dict]], wait: bool, timeout: float | None,
               sweep: str | None = None) -> bool:
        jobs = [self._job(formula, kwargs) for formula, kwargs in calls]
        started = self.runner.start(jobs, on_result=self._on_result, on_error=self._on_error,
                                    on_done=self._on_done)
        if not started:
            self._message("A run is in progress: wait for it or press Stop.", error=True)
            return False
        self._set_busy(True)
        what = f"sweep {sweep} ({len(calls)} runs)" if sweep else f"run{len(self.runs) + 1}"
        self._message(f"Training {what}…")
        if wait:
            self.wait(timeout)
        return True

    def _job(self, formula: str, kwargs: dict):
        from kms_jupyter.notebook.charts import HistoryChart
        from kms_jupyter.notebook.live import live_history

        def job(stop_event: threading.Event):
            label = ps.run_label(len(self.runs))
            chart = HistoryChart(planned_epochs=kwargs["epochs"], title=f"{label}: {formula}")
            self.live.children = [chart]
            self._message(f"Training {label}: {formula}")
            callback = live_history(chart)
            try:
                outcome = run_kms(self.data, formula, kwargs, stop_event, [callback])
            except BaseException:
                callback.close(partial=True, reason="error")
                raise
            callback.close(partial=outcome.fit.partial, reason=outcome.fit.partial_reason)
            return outcome, chart, formula, kwargs

        return job

    def _on_result(self, _i: int, result: tuple) -> None:
        outcome, chart, formula, kwargs = result
        fit = outcome.fit
        kwargs = dict(kwargs, seed=fit.seed)  # a random seed is recorded, so copies reproduce
        self.runs.append(fit)
        self.records.append(RunRecord(formula, kwargs, outcome.warnings, chart))
        index = len(self.runs) - 1
        self.refresh_leaderboard()
        self.live.children = [chart, *self._result_widgets(fit, outcome.warnings)]
        state = f"stopped at epoch {fit.epochs_run}/{fit.epochs}" if fit.partial else "done"
        self._message(f"{ps.run_label(index)} {state} ({fit.duration_s:.1f} s); it is panel.runs[{index}].")

    def _on_error(self, _i: int, exc: BaseException) -> None:
        self._message(one_line(exc), error=True)

    def _on_done(self, finished: int, cancelled: int) -> None:
        self._set_busy(False)
        if cancelled and finished:
            self._message(f"{self._last_text} · {cancelled} sweep run(s) cancelled", keep_style=True)

    def _set_busy(self, busy: bool) -> None:
        self.train_button.disabled = busy
        self.sweep_button.disabled = busy
        self.stop_button.disabled = not busy

    _last_text = ""
    _last_error = False

    def _message(self, text: str, error: bool = False, keep_style: bool = False) -> None:
        error = self._last_error if keep_style else error
        self._last_text, self._last_error = text, error
        color = "#c62828" if error else "inherit"
        self.status.value = (f"<span class='kms-panel-{'error' if error else 'msg'}' "
                             f"style='color:{color}'>{html.escape(text)}</span>")

    def _result_widgets(self, fit: Any, notes: Sequence[str] = ()) -> list[widgets.Widget]:
        from kms_jupyter.notebook.charts import plot_fit_confusion
        from kms_jupyter.notebook.views import metrics_html

        items: list[widgets.Widget] = []
        if notes:
            items.append(_html("<ul class='kms-panel-notes'>" + "".join(
                f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"))
        try:
            items.append(_html(metrics_html(fit)))
            items.append(plot_fit_confusion(fit))
        except Exception as exc:  # e.g. no test rows: a message, never a broken panel
            items.append(_html(f"<p>(no test-set view: {html.escape(one_line(exc))})</p>"))
        return items

    # ------------------------------------------------------------------ leaderboard
    def leaderboard_rows(self) -> list[dict]:
        return [ps.leaderboard_row(i, fit) for i, fit in enumerate(self.runs)]

    def leaderboard(self):
        """The leaderboard as a DataFrame (one row per run, in run order)."""
        import pandas as pd

        return pd.DataFrame(self.leaderboard_rows())

    def refresh_leaderboard(self) -> None:
        rows = self.leaderboard_rows()
        selected = tuple(i for i in self.run_select.value if i < len(rows))
        self.board.value = ps.leaderboard_html(rows, selected)
        options = []
        for i, r in enumerate(rows):
            score = "–" if r["score"] is None else f"{r['score']:.3f}"
            flag = f" [{r['partial_reason'] or 'partial'}]" if r["partial"] else ""
            options.append((f"{r['run']}: {r['formula']} · {r['score_name']} {score} · "
                            f"{r['epochs_run']}/{r['epochs_planned']} epochs{flag}", i))
        self.run_select.options = options
        self.run_select.value = selected

    def _on_select(self, change: dict) -> None:
        self.board.value = ps.leaderboard_html(self.leaderboard_rows(), change["new"])
        self.show_runs(change["new"])

    def show_runs(self, indices: Sequence[int]) -> None:
        """One run: its history chart and test-set views; several: ``plot_confusion`` of them."""
        indices = [int(i) for i in indices]
        try:
            if not indices:
                self.detail.children = []
            elif len(indices) == 1:
                fit = self.runs[indices[0]]
                self.detail.children = [_html(f"<b>{html.escape(ps.run_label(indices[0]))}</b>: "
                                              f"<code>{html.escape(fit.formula)}</code>"),
                                        fit.plot_history(), *self._result_widgets(fit)]
            else:
                from kms_jupyter.notebook.charts import plot_confusion

                fits = [self.runs[i] for i in indices]
                names = [ps.run_label(i) for i in indices]
                self.detail.children = [plot_confusion(*fits, names=names,
                                                       title="selected runs compared")]
        except Exception as exc:
            self.detail.children = [_html(f"<p class='kms-panel-error' style='color:#c62828'>"
                                          f"{html.escape(one_line(exc))}</p>")]

    # ------------------------------------------------------------------ copy
    def _data_name(self) -> str | None:
        if self.data_name:
            return self.data_name
        try:
            from IPython import get_ipython

            shell = get_ipython()
            names = [k for k, v in (shell.user_ns.items() if shell else []) if v is self.data
                     and not k.startswith("_")]
        except Exception:
            names = []
        return sorted(names, key=lambda k: (len(k), k))[0] if names else None

    def _copy_index(self) -> int | None:
        selected = list(self.run_select.value)
        if selected:
            return int(selected[0])
        return len(self.runs) - 1 if self.runs else None

    def kms_cell(self, index: int | None = None) -> str:
        """The ``%%kms`` cell reproducing run ``index`` (default: the selected or last run; with
        no runs, the current settings)."""
        index = self._copy_index() if index is None else index
        if index is None:
            formula, kwargs = ps.state_to_kwargs(self.read_state())
            out = ps.run_label(len(self.runs))
        else:
            record = self.records[index]
            formula, kwargs, out = record.formula, record.kwargs, ps.run_label(index)
        return ps.kms_cell_text(formula, kwargs, out=out, data_name=self._data_name())

    def copy_as_kms(self) -> str:
        try:
            text = self.kms_cell()
        except Exception as exc:
            self._message(one_line(exc), error=True)
            return ""
        self.copy_area.value = text
        return text

    def copy_as_code(self) -> str:
        index = self._copy_index()
        if index is None:
            self._message("No run yet: train one, then Copy as code.", error=True)
            return ""
        try:
            text = self.runs[index].to_code()
        except Exception as exc:
            self._message(one_line(exc), error=True)
            return ""
        self.copy_area.value = text
        return text
