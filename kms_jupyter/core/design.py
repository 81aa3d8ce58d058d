"""DataFrame -> design matrices: outcome coding, NA handling, split, formulaic spec, scaling.

The formulaic ModelSpec and the scaler are learned on the training rows only and then reused,
unchanged, for the validation/test rows and for new data (``DesignSpec.matrix``). Categoricals
are one-hot encoded with *all* levels (``ensure_full_rank=False``): a level never seen in
training then becomes an all-zero row, which no known level shares, instead of silently looking
like the reference level.

Input modes (``DesignSpec.mode``): the design reaches the network in one of three forms, chosen by
``choose_input_mode`` from the level counts and the row count unless the user says
(``sparse=``, ``embedding=``):

- ``"dense"``: one float32 matrix (the small-data fast path, unchanged from kerasformula);
- ``"sparse"``: the same columns as a scipy CSR matrix, built by formulaic with
  ``output="sparse"``, scaled without densifying, fed to Keras as sparse batches;
- ``"embedding"``: each high-cardinality factor becomes an integer index (1..L for the L training
  levels; 0 is reserved for levels never seen in training) feeding a Keras Embedding layer, and
  the rest of the formula stays a dense (or sparse: ``"embedding+sparse"``) matrix.
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from formulaic import Formula, ModelSpec, model_matrix
from formulaic.errors import FormulaicError

from kms_jupyter.core.formula import CONTEXT, ParsedFormula, quote_name
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
    def fit(cls, X: Any, kind: str | None) -> "Scaler":
        """Learn the statistics; ``X`` may be a dense array or a scipy sparse matrix."""
        p = X.shape[1]
        if kind is None or p == 0:
            return cls(kind, np.zeros(p, bool), np.zeros(p), np.ones(p))
        if sp.issparse(X):
            return cls._fit_sparse(sp.csc_matrix(X), kind)
        mask = np.array([np.unique(X[:, j][:1000]).size > 2 or np.unique(X[:, j]).size > 2
                         for j in range(p)], dtype=bool)
        if kind == "z":
            offset, divisor = X.mean(axis=0), X.std(axis=0)
        else:
            offset, divisor = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
        return cls._finish(kind, mask, offset, divisor)

    @classmethod
    def _finish(cls, kind, mask, offset, divisor) -> "Scaler":
        divisor = np.where(divisor > 0, divisor, 1.0)  # constant columns never divide by zero
        return cls(kind, mask, np.where(mask, offset, 0.0), np.where(mask, divisor, 1.0))

    @classmethod
    def _fit_sparse(cls, X: sp.csc_matrix, kind: str) -> "Scaler":
        """Same statistics as the dense fit, from the stored entries (zeros counted, never stored)."""
        n, p = X.shape
        mask = np.zeros(p, bool)
        lo, hi = np.zeros(p), np.zeros(p)
        for j in range(p):
            values = X.data[X.indptr[j]:X.indptr[j + 1]]
            has_zero = values.size < n or (values == 0).any()
            distinct = np.unique(values[values != 0]).size + int(has_zero)
            mask[j] = distinct > 2
            if values.size:
                lo[j] = min(values.min(), 0.0) if has_zero else values.min()
                hi[j] = max(values.max(), 0.0) if has_zero else values.max()
        if kind == "z":
            mean = np.asarray(X.sum(axis=0), dtype=float).ravel() / n
            sq = np.asarray(X.multiply(X).sum(axis=0), dtype=float).ravel() / n
            offset, divisor = mean, np.sqrt(np.maximum(sq - mean ** 2, 0.0))
        else:
            offset, divisor = lo, hi - lo
        return cls._finish(kind, mask, offset, divisor)

    def transform(self, X: Any) -> Any:
        """Scaled copy: dense in -> float32 dense; sparse in -> float32 CSR.

        For a sparse design only the continuous columns (which are dense in practice: every row
        has a value) are shifted; the dummy columns keep their sparsity, so nothing is densified.
        """
        if sp.issparse(X):
            return self._transform_sparse(sp.csc_matrix(X))
        if self.kind is None or not self.mask.any():
            return np.asarray(X, dtype="float32")
        return ((X - self.offset) / self.divisor).astype("float32")

    def _transform_sparse(self, X: sp.csc_matrix) -> sp.csr_matrix:
        if self.kind is None or not self.mask.any():
            return X.astype("float32").tocsr()
        cont = np.flatnonzero(self.mask)
        rest = np.flatnonzero(~self.mask)
        scaled = (X[:, cont].toarray() - self.offset[cont]) / self.divisor[cont]  # n x (few) columns
        blocks = sp.hstack([X[:, rest], sp.csc_matrix(scaled)], format="csc")
        order = np.argsort(np.concatenate([rest, cont]))  # back to the formula's column order
        return blocks[:, order].astype("float32").tocsr()

    def to_json(self) -> dict:
        return {"kind": self.kind, "mask": self.mask.tolist(), "offset": self.offset.tolist(),
                "divisor": self.divisor.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> "Scaler":
        return cls(d["kind"], np.array(d["mask"], bool), np.array(d["offset"], float),
                   np.array(d["divisor"], float))


# ----------------------------------------------------------------------------- input modes
# The rule kms() follows when sparse=None and embedding=None (see choose_input_mode):
EMBED_MIN_LEVELS = 100  # a factor with at least this many training levels ...
EMBED_MIN_ROWS = 10_000  # ... in at least this many training rows gets an Embedding layer
EMBED_TRUE_MIN_LEVELS = 11  # embedding=True: factors with more than 10 levels
DENSE_MAX_CELLS = 20_000_000  # a one-hot design above this many cells (80 MB as float32) ...
SPARSE_MAX_DENSITY = 0.25  # ... that is mostly zeros goes sparse


def embedding_dim(n_levels: int) -> int:
    """Embedding width for a factor with ``n_levels`` training levels: ceil(1.6 * sqrt(L)), at most 50.

    (fast.ai's rule of thumb is 1.6 * L**0.56 capped at 600; the square root with a cap of 50
    keeps the network small on tabular data: 4 levels -> 4, 100 -> 16, 1,000 and more -> 50.)
    """
    return int(min(50, math.ceil(1.6 * math.sqrt(max(1, n_levels)))))


@dataclass(frozen=True)
class EmbeddingSpec:
    """One factor fed to a Keras Embedding layer: index 0 is reserved for unseen (or missing) levels."""

    column: str
    levels: tuple
    dim: int
    name: str  # the column's name made safe for Keras layer names

    @property
    def input_name(self) -> str:
        return f"{self.name}_index"

    @property
    def layer_name(self) -> str:
        return f"embedding_{self.name}"

    @property
    def input_dim(self) -> int:
        return len(self.levels) + 1

    def encode(self, series: pd.Series) -> np.ndarray:
        """(n, 1) int32 indices: training level i -> i + 1; anything else -> 0."""
        codes = pd.Index(list(self.levels)).get_indexer(pd.Series(series).to_numpy()) + 1
        return codes.astype("int32").reshape(-1, 1)

    def to_json(self) -> dict:
        return {"column": self.column, "levels": json_ready(list(self.levels)), "dim": self.dim,
                "name": self.name}

    @classmethod
    def from_json(cls, d: dict) -> "EmbeddingSpec":
        return cls(d["column"], tuple(d["levels"]), int(d["dim"]), d["name"])


@dataclass(frozen=True)
class InputPlan:
    sparse: bool
    embed: tuple[str, ...]
    reason: str

    @property
    def mode(self) -> str:
        return input_mode_name(self.sparse, bool(self.embed))


def input_mode_name(sparse: bool, embedding: bool) -> str:
    if embedding:
        return "embedding+sparse" if sparse else "embedding"
    return "sparse" if sparse else "dense"


def plain_factor_levels(parsed: ParsedFormula, train: pd.DataFrame) -> dict[str, int]:
    """Categorical columns entering the formula as a plain term (``director``, not ``top(director, 5)``
    or ``x:director``), with their number of training levels: the candidates for an Embedding."""
    available = [str(c) for c in train.columns if str(c) != parsed.outcome]
    terms = {str(t) for t in Formula(parsed.rhs, _context={"__formulaic_variables_available__": available})}
    return {col: int(train[col].nunique(dropna=True)) for col in parsed.variables
            if col in terms and column_kind(train[col]) == "categorical"}


def onehot_width(parsed: ParsedFormula, train: pd.DataFrame) -> int:
    """Estimated design width: one column per level of each categorical, one per numeric column."""
    return sum(int(train[c].nunique(dropna=True)) if column_kind(train[c]) == "categorical" else 1
               for c in parsed.variables)


def choose_input_mode(factor_levels: dict[str, int], n_rows: int, width: int, n_variables: int,
                      sparse: bool | None = None, embedding: Any = None) -> InputPlan:
    """Dense, sparse or embedding inputs, from the level counts and the row count.

    With ``embedding=None`` a factor that enters the formula as a plain term gets an Embedding
    layer when it has at least EMBED_MIN_LEVELS (100) training levels and there are at least
    EMBED_MIN_ROWS (10,000) training rows: with fewer rows there is too little data per level
    to learn a vector, and a one-hot design of that size is cheap anyway (so the 3,000-row movies
    data stays dense exactly as kerasformula builds it). ``embedding=True`` embeds every plain
    factor with more than 10 levels; a list names the columns; False embeds none.

    With ``sparse=None`` the rest of the design (what is not embedded) goes sparse when its dense
    float32 form would exceed DENSE_MAX_CELLS (20 million cells, 80 MB) and at most a quarter of
    its cells are non-zero (one-hot columns); otherwise it stays one dense matrix, the fastest
    path for small data. ``sparse=True``/``False`` force it.
    """
    if embedding is None:
        embed = [c for c, n in factor_levels.items() if n >= EMBED_MIN_LEVELS] if n_rows >= EMBED_MIN_ROWS else []
        why = (f"auto: {', '.join(f'{c} has {factor_levels[c]:,} levels' for c in embed)} in "
               f"{n_rows:,} training rows -> embedding" if embed else "")
    elif embedding is True:
        embed = [c for c, n in factor_levels.items() if n >= EMBED_TRUE_MIN_LEVELS]
        if not embed:
            warnings.warn("embedding=True but no categorical column enters the formula as a plain term "
                          f"with more than {EMBED_TRUE_MIN_LEVELS - 1} levels; nothing is embedded "
                          "(name columns, e.g. embedding=['director'], to embed smaller factors).",
                          UserWarning, stacklevel=4)
        why = "embedding=True" if embed else ""
    elif embedding is False:
        embed, why = [], ""
    else:
        embed = list(embedding)
        for col in embed:
            if col not in factor_levels:
                raise KmsArgumentError(f"embedding={embedding!r}: {col!r} is not a categorical column "
                                       "entering the formula as a plain term; write it as "
                                       f"'+ {quote_name(col)}' (not inside top(), C() or an interaction).")
        why = f"embedding={embed!r}"
    rest_width = max(0, width - sum(factor_levels[c] for c in embed))
    rest_vars = max(1, n_variables - len(embed))
    if sparse is None:
        cells = n_rows * rest_width
        density = min(1.0, rest_vars / max(1, rest_width))
        use_sparse = cells > DENSE_MAX_CELLS and density <= SPARSE_MAX_DENSITY
        if use_sparse:
            why = (why + "; " if why else "auto: ") + (f"one-hot design of {n_rows:,} x ~{rest_width:,} "
                                                       f"(~{density:.0%} non-zero) -> sparse")
    else:
        use_sparse = bool(sparse)
        if use_sparse:
            why = (why + "; " if why else "") + "sparse=True"
    if not why:
        why = "auto: dense" if sparse is None and embedding is None else "dense"
    return InputPlan(use_sparse, tuple(embed), why)


def n_rows(inputs: Any) -> int:
    """Rows of a design: an array, a sparse matrix, or a dict of model inputs."""
    if isinstance(inputs, dict):
        return n_rows(next(iter(inputs.values())))
    return int(inputs.shape[0])


def _safe_names(columns: list[str]) -> list[str]:
    names: list[str] = []
    for col in columns:
        base = re.sub(r"\W+", "_", col).strip("_") or "factor"
        name, i = base, 2
        while name in names or name == "design":
            name, i = f"{base}_{i}", i + 1
        names.append(name)
    return names


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
    sparse: bool = False  # the formulaic part is a scipy CSR matrix
    embeddings: tuple = ()  # EmbeddingSpec per embedded factor (not in the formulaic part)
    design_rhs: str = ""  # the formulaic right-hand side actually materialised
    input_note: str = ""  # why this input mode was chosen (shown by fit.summary())

    @property
    def p(self) -> int:
        """Columns of the formulaic (dense or sparse) part; embedded factors are not counted."""
        return len(self.columns)

    @property
    def mode(self) -> str:
        return input_mode_name(self.sparse, bool(self.embeddings))

    @property
    def embedded_columns(self) -> list[str]:
        return [e.column for e in self.embeddings]

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

    def _formulaic_part(self, data: pd.DataFrame) -> Any:
        with warnings.catch_warnings():
            # formulaic warns about unseen levels and casts them to NaN -> all-zero dummies;
            # we report them ourselves (with counts) where it matters.
            warnings.simplefilter("ignore")
            mm = _formulaic(self.formula.text, KmsDataError, self.model_spec.get_model_matrix, data,
                            na_action="ignore", context=CONTEXT)
        X = sp.csc_matrix(mm) if self.sparse else np.asarray(mm, dtype="float64")
        if X.shape[0] != len(data):
            raise KmsDataError(f"the design has {X.shape[0]} rows for {len(data)} input rows; check "
                               "for index problems (duplicate index labels) in the data.")
        return X

    def assemble(self, X: Any, data: pd.DataFrame) -> Any:
        """The model's inputs from the scaled formulaic part: the matrix alone (dense mode) or a
        dict {"design": matrix, "<factor>_index": indices} (sparse and embedding modes)."""
        if not self.sparse and not self.embeddings:
            return X
        inputs: dict[str, Any] = {}
        if self.p or not self.embeddings:
            inputs["design"] = X
        for e in self.embeddings:
            inputs[e.input_name] = e.encode(data[e.column])
        return inputs

    def matrix(self, data: pd.DataFrame) -> Any:
        """Model inputs (float32, rows aligned with ``data``) with training encoding and scaling:
        a dense array in dense mode, else a dict of inputs (see ``assemble``)."""
        if self.p == 0 and self.embeddings:
            return self.assemble(None, data)
        return self.assemble(self.scaler.transform(self._formulaic_part(data)), data)


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


def fit_design(parsed: ParsedFormula, train: pd.DataFrame, scale: str | None,
               sparse: bool | None = False, embedding: Any = False) -> tuple[DesignSpec, Any]:
    """Learn the formulaic spec, levels, input mode and scaler on the training rows.

    Returns the spec and the training inputs (see ``DesignSpec.matrix``). ``sparse`` and
    ``embedding`` are kms()'s arguments; None lets ``choose_input_mode`` decide.
    """
    if scale not in SCALINGS:
        raise KmsArgumentError(f"scale_continuous={scale!r} is not one of 'z', 'zero_one', None.")
    factor_levels = plain_factor_levels(parsed, train) if embedding is not False else {}
    width = onehot_width(parsed, train) if sparse is None else 0
    plan = choose_input_mode(factor_levels, len(train), width, len(parsed.variables), sparse, embedding)
    # The intercept is dropped: the network's biases play its role, and a constant column would
    # only add parameters (kerasformula's p for 'genre ~ . - director - title' is 8, not 9).
    # Embedded factors leave the formulaic part: they reach the network as indices instead.
    rhs = (f"({parsed.rhs})" + "".join(f" - {quote_name(c)}" for c in plan.embed) if plan.embed
           else parsed.rhs) + " - 1"
    # '.' means every column but the outcome: formulaic would otherwise expand it to y too.
    predictors = train.drop(columns=[parsed.outcome])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mm = _formulaic(parsed.text, KmsFormulaError, model_matrix, rhs, predictors,
                        ensure_full_rank=False, na_action="ignore", context=CONTEXT,
                        output="sparse" if plan.sparse else "pandas")
    X = sp.csc_matrix(mm) if plan.sparse else np.asarray(mm, dtype="float64")
    scaler = Scaler.fit(X, scale)
    levels = _encoded_levels(mm.model_spec, parsed.variables)
    embeddings = []
    for col, name in zip(plan.embed, _safe_names(list(plan.embed))):
        values = train[col].dropna().unique().tolist()
        try:
            ordered = sorted(values)
        except TypeError:
            ordered = sorted(values, key=str)
        ordered = [v.item() if isinstance(v, np.generic) else v for v in ordered]
        levels[col] = ordered
        embeddings.append(EmbeddingSpec(col, tuple(ordered), embedding_dim(len(ordered)), name))
    dtypes = {c: column_kind(train[c]) for c in parsed.variables}
    available = [str(c) for c in train.columns if str(c) != parsed.outcome]
    spec = DesignSpec(parsed, mm.model_spec, list(mm.model_spec.column_names), scaler, levels,
                      dtypes, available, sparse=plan.sparse, embeddings=tuple(embeddings),
                      design_rhs=rhs, input_note=plan.reason)
    return spec, spec.assemble(scaler.transform(X), train)


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
