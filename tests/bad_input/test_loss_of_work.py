"""Nothing is lost and nothing runs from a file: partial fits after interrupts and callback errors,
atomic saves, load_fit on truncated/tampered files (Keras safe mode), exact determinism."""
from __future__ import annotations

import json
import threading
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kms_jupyter import kms, load_fit
from kms_jupyter.datasets import movies_like
from kms_jupyter.errors import KmsFileError

DF = movies_like(n=150, seed=6)
FORMULA = "genre ~ rating + votes + year"
TINY = dict(units=(4,), epochs=3, batch_size=32, seed=5)


def quiet_kms(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = kms(*args, **kwargs)
    return fit, [str(w.message) for w in caught]


def callback(**hooks):
    import keras

    return type("UserCallback", (keras.callbacks.Callback,), hooks)()


@pytest.fixture(scope="module")
def fit():
    return quiet_kms(FORMULA, DF, **TINY)[0]


# ------------------------------------------------------------------ partial fits
def test_keyboard_interrupt_keeps_partial_fit():
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt

    part, msgs = quiet_kms(FORMULA, DF, **TINY, callbacks=[callback(on_epoch_end=on_epoch_end)])
    assert part.partial and part.partial_reason == "interrupted"
    assert len(part.history) == 2 and part.epochs == 3
    assert "PARTIAL (interrupted)" in repr(part)
    assert any("interrupted after 2 of 3 epochs" in m for m in msgs)
    assert len(part.predict(DF.head(4))) == 4 and part.evaluations  # usable and evaluated


def test_exception_in_user_callback_keeps_partial_fit_with_a_note():
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("disk full in my logger")

    part, msgs = quiet_kms(FORMULA, DF, **TINY, callbacks=[callback(on_epoch_end=on_epoch_end)])
    assert part.partial
    assert part.partial_reason == "error: RuntimeError: disk full in my logger"
    assert len(part.history) == 2
    assert "PARTIAL (error: RuntimeError: disk full in my logger)" in repr(part)
    assert any("disk full" in m and "partial" in m for m in msgs)


def test_exception_before_any_epoch_is_raised_not_hidden():
    def on_train_begin(self, logs=None):
        raise RuntimeError("bad callback setup")

    with pytest.raises(RuntimeError, match="bad callback setup"):
        quiet_kms(FORMULA, DF, **TINY, callbacks=[callback(on_train_begin=on_train_begin)])


def test_stop_event_keeps_partial_fit():
    event = threading.Event()

    def on_epoch_end(self, epoch, logs=None):
        event.set()

    part, _ = quiet_kms(FORMULA, DF, **TINY, stop_event=event,
                        callbacks=[callback(on_epoch_end=on_epoch_end)])
    assert part.partial and part.partial_reason == "stopped"
    assert 1 <= len(part.history) < 3  # stops at the next batch end, never runs every epoch


def test_partial_fit_survives_save_and_load(tmp_path):
    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt

    part, _ = quiet_kms(FORMULA, DF, **TINY, callbacks=[callback(on_epoch_end=on_epoch_end)])
    back = load_fit(part.save(tmp_path / "part"))
    assert back.partial and back.partial_reason == "interrupted" and len(back.history) == 1


# ------------------------------------------------------------------ atomic save
def test_failed_save_leaves_no_target_and_no_temp_file(fit, tmp_path, monkeypatch):
    def broken_save(*args, **kwargs):
        raise OSError("simulated: device full while writing the model")

    monkeypatch.setattr(fit.model, "save", broken_save)
    target = tmp_path / "out" / "model.kmsfit"
    with pytest.raises(OSError, match="simulated"):
        fit.save(target)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary file left behind


def test_failed_save_keeps_the_previous_file_intact(fit, tmp_path, monkeypatch):
    target = Path(fit.save(tmp_path / "keep.kmsfit"))
    before = target.read_bytes()
    monkeypatch.setattr(fit.model, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        fit.save(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.kmsfit"]
    assert load_fit(target).predict(DF.head(5)).equals(fit.predict(DF.head(5)))


# ------------------------------------------------------------------ tampered files
def _rewrite(path: Path, out: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, replace.get(name, src.read(name)))
    return out


def _load_error(path) -> str:
    with pytest.raises(KmsFileError) as info:
        load_fit(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg
    return msg


def test_truncated_and_non_fit_files(fit, tmp_path):
    saved = Path(fit.save(tmp_path / "ok.kmsfit"))
    data = saved.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        short = tmp_path / f"cut{cut}.kmsfit"
        short.write_bytes(data[:cut])
        assert "truncated or damaged" in _load_error(short)
    text = tmp_path / "notes.kmsfit"
    text.write_text("hello")
    assert "truncated or damaged" in _load_error(text)
    assert "no saved fit" in _load_error(tmp_path / "missing.kmsfit")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("readme.txt", "x")
    assert "not a kms_jupyter fit" in _load_error(other)


@pytest.mark.parametrize("edit, expected", [
    (lambda m: m.update(format="pickle"), "not a kms_jupyter fit"),
    (lambda m: m.update(version=99), "format version"),
    (lambda m: m.pop("design"), "could not be loaded (KeyError"),
    (lambda m: m["outcome"].update(classes="not a list"), "could not be loaded"),
    (lambda m: m["layers"][0].update(evil="__import__('os')"), "could not be loaded (TypeError"),
])
def test_edited_fit_json(fit, tmp_path, edit, expected):
    saved = Path(fit.save(tmp_path / "ok.kmsfit"))
    with zipfile.ZipFile(saved) as zf:
        meta = json.loads(zf.read("fit.json"))
    edit(meta)
    bad = _rewrite(saved, tmp_path / "edited.kmsfit", {"fit.json": json.dumps(meta).encode()})
    assert expected in _load_error(bad)


def test_fit_json_that_is_not_json(fit, tmp_path):
    saved = Path(fit.save(tmp_path / "ok.kmsfit"))
    bad = _rewrite(saved, tmp_path / "garbled.kmsfit", {"fit.json": b"{'not': json"})
    assert "truncated or damaged" in _load_error(bad)


def _lambda_model_bytes(tmp_path: Path, marker: Path) -> bytes:
    """A .keras model whose Lambda layer writes ``marker`` whenever its code runs."""
    import keras

    # a Python lambda is stored as bytecode in the file (a named function only by name)
    # (the marker path is a constant in its code: Keras cannot restore lambda default values)
    side_effect = eval(f"lambda x: (open({str(marker)!r}, 'w').write('code ran'), x)[1]")  # noqa: S307
    inputs = keras.Input(shape=(3,), name="design")
    outputs = keras.layers.Dense(2)(keras.layers.Lambda(side_effect, output_shape=(3,))(inputs))
    path = tmp_path / "evil.keras"
    keras.Model(inputs, outputs).save(path)
    marker.unlink(missing_ok=True)  # building the model ran it once; start clean
    return path.read_bytes()


def test_model_with_a_lambda_layer_is_refused_and_never_runs(fit, tmp_path):
    import keras

    marker = tmp_path / "ran.txt"
    evil = _lambda_model_bytes(tmp_path, marker)
    saved = Path(fit.save(tmp_path / "ok.kmsfit"))
    bad = _rewrite(saved, tmp_path / "lambda.kmsfit", {"model.keras": evil})
    msg = _load_error(bad)
    assert "was refused" in msg and "Lambda layer" in msg and "safe mode" in msg
    assert not marker.exists()
    # the check can fail: without safe mode the very same file does run its code
    unsafe = keras.models.load_model(tmp_path / "evil.keras", safe_mode=False)
    unsafe(np.zeros((1, 3), dtype="float32"))
    assert marker.exists()


def test_model_config_pointing_at_arbitrary_code_is_refused(fit, tmp_path):
    saved = Path(fit.save(tmp_path / "ok.kmsfit"))
    with zipfile.ZipFile(saved) as zf:
        keras_bytes = zf.read("model.keras")
    inner = tmp_path / "inner.keras"
    inner.write_bytes(keras_bytes)
    with zipfile.ZipFile(inner) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(files["config.json"])
    layer = config["config"]["layers"][1]
    layer.update(module="os", class_name="system", registered_name=None)
    layer["config"] = {"command": f"touch {tmp_path / 'pwned'}"}
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(inner, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    bad = _rewrite(saved, tmp_path / "config.kmsfit", {"model.keras": inner.read_bytes()})
    assert "could not be loaded" in _load_error(bad)
    assert not (tmp_path / "pwned").exists()


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_exactly_the_same_history_and_predictions():
    a, _ = quiet_kms(FORMULA, DF, **TINY)
    b, _ = quiet_kms(FORMULA, DF, **TINY)
    assert a.history.to_numpy().tolist() == b.history.to_numpy().tolist()
    assert a.predictions.equals(b.predictions)
    pa, pb = a.predict_proba(DF), b.predict_proba(DF)
    assert np.array_equal(pa.to_numpy(), pb.to_numpy())
    c, _ = quiet_kms(FORMULA, DF, **{**TINY, "seed": 6})
    assert c.history.to_numpy().tolist() != a.history.to_numpy().tolist()  # the seed matters
