"""DataFrame -> design matrices: outcome coding, NA handling, split, formulaic spec, scaling.

The formulaic ModelSpec and the scaler are learned on the training rows only and then reused,
unchanged, for the validation/test rows and for new data (``DesignSpec.matrix``). Categoricals
are one-hot encoded with *all* levels (``ensure_full_rank=False``): a level never seen in
training then becomes an all-zero row, which no known level shares, instead of silently looking
like the reference level.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from formulaic import ModelSpec, model_matrix
from formulaic.errors import FormulaicError

from kms_jupyter.core.formula import CONTEXT, ParsedFormula
from kms_jupyter.errors import KmsArgumentError, KmsDataError, KmsFormulaError

SCALINGS = ("z", "zero_one", None)


# ----------------------------------------------------------------------------- outcome
@dataclass(frozen=True)
class Outcome:
    """How y is coded: type, class labels (classification) or centre/scale (continuous)."""

    name: str
    y_type: str  # "binary" | "multiclass" | "continuous"
    classes: tuple = ()
    center: float = 0.0
    scale: float = 1.0

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.classes]

    def encode(self, y: pd.Series) -> np.ndarray:
        """Class codes (int) or scaled values (float32)."""
        if self.y_type == "continuous":
            return ((y.to_numpy(dtype=float) - self.center) / self.scale).astype("float32")
        lookup = {c: i for i, c in enumerate(self.classes)}
        return np.array([lookup.get(v, -1) for v in y], dtype="int32")

    def decode(self, codes_or_values: np.ndarray) -> np.ndarray:
        if self.y_type == "continuous":
            return np.asarray(codes_or_values, dtype=float) * self.scale + self.center
        return np.asarray(self.classes, dtype=object)[np.asarray(codes_or_values, dtype=int)]


def is_continuous(y: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
            and y.nunique(dropna=True) > 2)


def detect_outcome(y: pd.Series) -> Outcome:
    """numeric with > 2 values -> continuous; 2 classes -> binary; otherwise multiclass."""
    name = str(y.name)
    kind = column_kind(y)
    if kind in _FIXES:
        raise KmsDataError(f"outcome {name!r} holds {kind} values ({y.dtype}), which cannot be an "
                           "outcome; " + _FIXES[kind].format(c=name) + ".")
    if y.isna().all():
        raise KmsDataError(f"outcome {name!r} has no non-missing values.")
    if is_continuous(y):
        n_inf = int(np.isinf(y.to_numpy(dtype=float, na_value=np.nan)).sum())
        if n_inf:
            raise KmsDataError(f"outcome {name!r} has {n_inf} infinite value(s); replace or drop "
                               f"them, e.g. df = df[np.isfinite(df['{name}'])].")
        return Outcome(name, "continuous")
    values = y.dropna()
    try:
        classes = tuple(sorted(values.unique().tolist()))
    except TypeError:  # mixed types: order by text so the order is still deterministic
        classes = tuple(sorted(values.unique().tolist(), key=str))
    if len(classes) < 2:
        raise KmsDataError(f"outcome {name!r} has a single class ({classes[0]!r}): nothing to learn; "
                           "pick another outcome or add rows of the other classes.")
    return Outcome(name, "binary" if len(classes) == 2 else "multiclass", classes)


def fit_outcome_scale(outcome: Outcome, y_train: pd.Series) -> Outcome:
    """Continuous outcomes are scaled with training statistics (returned unscaled in predictions)."""
    if outcome.y_type != "continuous":
        return outcome
    values = y_train.to_numpy(dtype=float)
    sd = float(values.std()) or 1.0
    return Outcome(outcome.name, "continuous", (), float(values.mean()), sd)


# ----------------------------------------------------------------------------- rows
def drop_missing(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """Rows with a missing value in any used column go, for X and y together."""
    mask = data[columns].isna().any(axis=1).to_numpy()
    return (data.loc[~mask], int(mask.sum())) if mask.any() else (data, 0)


def split_rows(n: int, p_training: float, seed: int, codes: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Positions of (train, test): exactly round((1 - p_training) * n) test rows.

    Stratified when class ``codes`` are given: each class gives test rows in proportion to its
    size (largest remainder, so the total is exact); a class with a single row cannot be split
    and stays in training.
    """
    n_test = int(round((1 - p_training) * n))
    rng = np.random.default_rng(seed)
    if n_test == 0:
        return rng.permutation(n), np.array([], dtype=int)
    if codes is None:
        perm = rng.permutation(n)
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    classes, counts = np.unique(codes, return_counts=True)
    capacity = np.where(counts >= 2, counts - 1, 0)  # keep one row of each class for training
    if capacity.sum() < n_test:  # too few splittable rows to stratify: plain shuffled split
        perm = rng.permutation(n)
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    raw = counts * (capacity > 0) * n_test / counts[capacity > 0].sum()
    quota = np.minimum(np.floor(raw).astype(int), capacity)
    # largest remainders first, then the classes with most room, until the total is exact
    order = list(np.argsort(-(raw - np.floor(raw)), kind="stable")) + list(np.argsort(-counts, kind="stable"))
    short = n_test - int(quota.sum())
    while short > 0:
        for idx in order:
            if short and quota[idx] < capacity[idx]:
                quota[idx] += 1
                short -= 1
    test: list[np.ndarray] = []
    for cls, k in zip(classes, quota):
        rows = np.flatnonzero(codes == cls)
        test.append(rng.permutation(rows)[:k])
    test_idx = np.sort(np.concatenate(test)) if test else np.array([], dtype=int)
    train_mask = np.ones(n, dtype=bool)
    train_mask[test_idx] = False
    return np.flatnonzero(train_mask), test_idx


# ----------------------------------------------------------------------------- scaling
@dataclass
class Scaler:
    """Scales continuous design columns (> 2 distinct training values) with training statistics."""

    kind: str | None
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    offset: np.ndarray = field(default_factory=lambda: np.zeros(0))
    divisor: np.ndarray = field(default_factory=lambda: np.ones(0))

    @classmethod
    def fit(cls, X: np.ndarray, kind: str | None) -> "Scaler":
        p = X.shape[1]
        if kind is None or p == 0:
            return cls(kind, np.zeros(p, bool), np.zeros(p), np.ones(p))
        mask = np.array([np.unique(X[:, j][:1000]).size > 2 or np.unique(X[:, j]).size > 2
                         for j in range(p)], dtype=bool)
        if kind == "z":
            offset, divisor = X.mean(axis=0), X.std(axis=0)
        else:
            offset, divisor = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
        divisor = np.where(divisor > 0, divisor, 1.0)  # constant columns never divide by zero
        return cls(kind, mask, np.where(mask, offset, 0.0), np.where(mask, divisor, 1.0))

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self.kind is None or not self.mask.any():
            return X
        return (X - self.offset) / self.divisor

    def to_json(self) -> dict:
        return {"kind": self.kind, "mask": self.mask.tolist(), "offset": self.offset.tolist(),
                "divisor": self.divisor.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> "Scaler":
        return cls(d["kind"], np.array(d["mask"], bool), np.array(d["offset"], float),
                   np.array(d["divisor"], float))


# ----------------------------------------------------------------------------- design spec
@dataclass
class DesignSpec:
    """All that is needed to turn new rows into the network's inputs, as in training."""

    formula: ParsedFormula
    model_spec: ModelSpec
    columns: list[str]
    scaler: Scaler
    levels: dict[str, list]  # categorical source column -> training levels (unseen-level check)
    dtypes: dict[str, str]  # source column -> "numeric" | "categorical" as seen in training
    available: list[str]  # the columns '.' stood for (to rebuild the spec from a saved fit)

    @property
    def p(self) -> int:
        return len(self.columns)

    def unseen_levels(self, data: pd.DataFrame) -> dict[str, pd.Series]:
        """Per categorical column: counts of values never seen in training."""
        found = {}
        for col, levels in self.levels.items():
            if col in data.columns:
                values = data[col].dropna()
                bad = values[~values.isin(levels)]
                if len(bad):
                    found[col] = bad.astype(str).value_counts()
        return found

    def matrix(self, data: pd.DataFrame) -> np.ndarray:
        """Design matrix (float32, rows aligned with ``data``) with training encoding and scaling."""
        with warnings.catch_warnings():
            # formulaic warns about unseen levels and casts them to NaN -> all-zero dummies;
            # we report them ourselves (with counts) where it matters.
            warnings.simplefilter("ignore")
            mm = _formulaic(self.formula.text, KmsDataError, self.model_spec.get_model_matrix, data,
                            na_action="ignore", context=CONTEXT)
        X = np.asarray(mm, dtype="float64")
        if X.shape[0] != len(data):
            raise KmsDataError(f"the design has {X.shape[0]} rows for {len(data)} input rows; check "
                               "for index problems (duplicate index labels) in the data.")
        return self.scaler.transform(X).astype("float32")


def _formulaic(formula: str, error: type, func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a formulaic materialisation; its evaluation errors (e.g. np.log of text, a transform
    called with bad arguments) become one-line ``error``s that name the formula."""
    try:
        return func(*args, **kwargs)
    except FormulaicError as exc:
        lines = str(exc).strip().splitlines()
        first = lines[0] if lines else type(exc).__name__
        raise error(f"formula {formula!r} cannot be evaluated on the data: {first}") from None


def _encoded_levels(model_spec: ModelSpec, variables: tuple[str, ...]) -> dict[str, list]:
    """Training levels of the columns encoded directly as dummies (``col`` or ``C(col)``).

    Columns seen only through ``top()`` are left out: top() maps unseen levels to "other",
    which is a known level, so there is nothing to warn about.
    """
    levels: dict[str, list] = {}
    for name, (kind, state) in model_spec.encoder_state.items():
        if "categories" not in state:
            continue
        match = re.fullmatch(r"C\(\s*`?(.+?)`?\s*(,.*)?\)", name)
        column = match.group(1) if match else name.strip("`")
        if column in variables:
            levels.setdefault(column, [])
            levels[column] += [c for c in state["categories"] if c not in levels[column]]
    return levels


def fit_design(parsed: ParsedFormula, train: pd.DataFrame, scale: str | None) -> tuple[DesignSpec, np.ndarray]:
    """Learn the formulaic spec, levels and scaler on the training rows; return the spec and X_train."""
    if scale not in SCALINGS:
        raise KmsArgumentError(f"scale_continuous={scale!r} is not one of 'z', 'zero_one', None.")
    # The intercept is dropped: the network's biases play its role, and a constant column would
    # only add parameters (kerasformula's p for 'genre ~ . - director - title' is 8, not 9).
    rhs = f"{parsed.rhs} - 1"
    # '.' means every column but the outcome: formulaic would otherwise expand it to y too.
    predictors = train.drop(columns=[parsed.outcome])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mm = _formulaic(parsed.text, KmsFormulaError, model_matrix, rhs, predictors,
                        ensure_full_rank=False, na_action="ignore", context=CONTEXT)
    X = np.asarray(mm, dtype="float64")
    scaler = Scaler.fit(X, scale)
    levels = _encoded_levels(mm.model_spec, parsed.variables)
    dtypes = {c: column_kind(train[c]) for c in parsed.variables}
    available = [str(c) for c in train.columns if str(c) != parsed.outcome]
    spec = DesignSpec(parsed, mm.model_spec, list(mm.model_spec.column_names), scaler, levels,
                      dtypes, available)
    return spec, scaler.transform(X).astype("float32")


def column_kind(series: pd.Series) -> str:
    """'numeric', 'categorical', or the name of a dtype we refuse (with a fix in the message)."""
    if pd.api.types.is_bool_dtype(series):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(series):
        return "timedelta"
    if pd.api.types.is_complex_dtype(series):
        return "complex"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if isinstance(series.dtype, pd.PeriodDtype):
        return "period"
    if isinstance(series.dtype, pd.IntervalDtype):
        return "interval"
    if series.dtype == object:
        values = series.dropna().head(10_000)
        kinds = {type(v).__name__ for v in values}
        numeric = {"int", "float", "int64", "float64", "int32", "float32"}
        if any(not isinstance(v, (str, int, float, bool, np.generic)) for v in values):
            return "python-object"  # lists, dicts, timestamps, arbitrary Python objects
        if len(kinds) > 1 and kinds & numeric and kinds - numeric:
            return "mixed"
    return "categorical"


_FIXES = {
    "datetime": "derive numbers from it first, e.g. df['{c}_year'] = df['{c}'].dt.year",
    "timedelta": "convert it to a number first, e.g. df['{c}_days'] = df['{c}'].dt.days",
    "complex": "split it into real and imaginary columns",
    "period": "convert it first, e.g. df['{c}'] = df['{c}'].dt.year or df['{c}'].astype(str)",
    "interval": "convert it first, e.g. df['{c}'] = df['{c}'].astype(str) or df['{c}'].array.mid",
    "python-object": "make it text or numbers first, e.g. df['{c}'] = df['{c}'].astype(str)",
    "mixed": "make it one type, e.g. df['{c}'] = df['{c}'].astype(str) or pd.to_numeric(df['{c}'], errors='coerce')",
}


def check_predictor_types(data: pd.DataFrame, columns: list[str] | tuple[str, ...],
                          reference: dict[str, str] | None = None) -> None:
    """Refuse column types the design cannot encode, infinite values, and dtype drift from training."""
    from kms_jupyter.core.formula import quote_name

    for col in columns:
        series = data[col]
        if isinstance(series, pd.DataFrame):
            raise KmsDataError(f"column name {col!r} appears {series.shape[1]} times in the data; "
                               "rename the duplicates (e.g. df.columns = [...]).")
        kind = column_kind(series)
        if kind in _FIXES:
            raise KmsDataError(f"column {col!r} holds {kind} values ({series.dtype}), which cannot be "
                               "encoded; "
                               + _FIXES[kind].format(c=col) + f", or drop it with '- {quote_name(col)}'.")
        if kind == "numeric" and not pd.api.types.is_integer_dtype(series):
            n_inf = int(np.isinf(series.to_numpy(dtype=float, na_value=np.nan)).sum())
            if n_inf:
                raise KmsDataError(f"column {col!r} has {n_inf} infinite value(s); replace them, e.g. "
                                   f"df['{col}'] = df['{col}'].replace([np.inf, -np.inf], np.nan).")
        if reference and col in reference and reference[col] != kind:
            raise KmsDataError(f"column {col!r} was {reference[col]} in training but is {kind} "
                               f"({series.dtype}) here; convert it, e.g. pd.to_numeric(df['{col}']).")


def check_not_all_missing(data: pd.DataFrame, outcome: str, variables: tuple[str, ...]) -> None:
    """A used column with no value at all would drop every row: name it instead."""
    from kms_jupyter.core.formula import quote_name

    if len(data) and data[outcome].isna().all():
        raise KmsDataError(f"outcome {outcome!r} has only missing values ({len(data)} rows): nothing "
                           "to learn from; pick another outcome or fill it.")
    for col in variables:
        if len(data) and data[col].isna().all():
            raise KmsDataError(f"column {col!r} has only missing values, so every row would be "
                               f"dropped; remove it with '- {quote_name(col)}' or fill it, e.g. "
                               f"df['{col}'] = df['{col}'].fillna(0).")


def constant_columns(data: pd.DataFrame, variables: tuple[str, ...]) -> list[tuple[str, Any]]:
    """Predictors with a single (non-missing) value in every row: they carry no information."""
    found = []
    for col in variables:
        values = data[col].dropna()
        if len(values) > 1 and values.nunique() == 1:
            first = values.iloc[0]
            found.append((col, first.item() if isinstance(first, np.generic) else first))
    return found


def identifier_columns(data: pd.DataFrame, variables: tuple[str, ...]) -> list[tuple[str, int]]:
    """Categorical predictors with (almost) one distinct value per row, like ``title``."""
    found = []
    n = len(data)
    for col in variables:
        series = data[col]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            continue
        distinct = int(series.nunique(dropna=True))
        if n >= 20 and distinct >= 0.9 * n:
            found.append((col, distinct))
    return found


def json_ready(value: Any) -> Any:
    """numpy/pandas scalars and arrays -> JSON-able Python (arrays tagged to restore them)."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def from_json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=value.get("dtype", "float64"))
        return {k: from_json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_ready(v) for v in value]
    return value
