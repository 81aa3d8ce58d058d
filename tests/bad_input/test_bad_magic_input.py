"""Bad input to the %%kms magic in a real IPython shell: each mistake is one UsageError line that
names the culprit, never a traceback; a KeyboardInterrupt keeps the partial fit; same seed, same
numbers as the engine."""
from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from kms_jupyter.datasets import movies_like
from kms_test_support import fresh_kms_shell

SMALL = "units = [4]\nepochs = 1\nbatch_size = 64\nseed = 1\n"


@pytest.fixture
def ip():
    with fresh_kms_shell() as shell:
        shell.user_ns["movies"] = movies_like(n=120, seed=5)
        shell.user_ns["a_list"] = [1, 2, 3]
        yield shell


def run(shell, source):
    with capture_output() as cap:
        result = shell.run_cell(source)
    return result, cap


MAGIC_CASES = [
    ("unknown option", "%%kms --bogus genre ~ rating\n" + SMALL, ["--bogus"]),
    ("option needs a value", "%%kms -o\n" + SMALL, ["-o", "needs a value"]),
    ("option given twice", "%%kms -o a -o b genre ~ rating\n" + SMALL, ["-o", "twice"]),
    ("no formula", "%%kms -o fit1\n" + SMALL, ["formula"]),
    ("body not an assignment", "%%kms genre ~ rating\nseed 12\n", ["seed 12"]),
    ("body Python syntax error", "%%kms genre ~ rating\nseed = = 1\n", ["seed = = 1"]),
    ("unknown argument in the body", "%%kms genre ~ rating\nepoch = 3\n", ["'epoch'", "epochs"]),
    ("undefined name in the body", "%%kms genre ~ rating\nseed = undefined_seed\n",
     ["undefined_seed"]),
    ("body expression raises", "%%kms genre ~ rating\nseed = 1 // 0\n", ["seed", "ZeroDivisionError"]),
    ("missing --data object", "%%kms --data moviez genre ~ rating\n" + SMALL,
     ["moviez", "did you mean 'movies'"]),
    ("--data is not a DataFrame", "%%kms --data a_list genre ~ rating\n" + SMALL,
     ["a_list", "list", "not a pandas DataFrame"]),
    ("--data expression fails", "%%kms --data movies.head(nope) genre ~ rating\n" + SMALL,
     ["nope"]),
    ("no DataFrame has the outcome", "%%kms gnre ~ rating\n" + SMALL, ["'gnre'", "genre"]),
    ("engine: unknown column", "%%kms genre ~ ratng\n" + SMALL, ["'ratng'", "'rating'"]),
    ("engine: bad argument value", "%%kms genre ~ rating\nunits = [4]\nepochs = 0\n", ["epochs=0"]),
    ("engine: unknown activation", "%%kms genre ~ rating\nactivation = 'relux'\n" + SMALL,
     ["'relux'", "'relu'"]),
    ("engine: datetime column", "%%kms --data movies.assign(d=pd.Timestamp(0)) genre ~ rating + d\n"
     + SMALL, ["'d'", "datetime"]),
    ("data given twice", "%%kms --data movies genre ~ rating\ndata = movies\n" + SMALL, ["twice"]),
]


@pytest.mark.parametrize("what, source, culprits", MAGIC_CASES, ids=[c[0] for c in MAGIC_CASES])
def test_magic_mistake_is_one_usage_error_line(ip, what, source, culprits):
    import pandas as pd

    ip.user_ns["pd"] = pd
    result, cap = run(ip, source)
    err = result.error_in_exec
    assert isinstance(err, UsageError), f"{what}: {err!r}\n{cap.stderr}"
    msg = str(err)
    assert "\n" not in msg and msg.strip()
    for c in culprits:
        assert c in msg, f"{c!r} not in {msg!r}"
    assert "Traceback" not in cap.stdout + cap.stderr
    # the kernel survives: the next cell runs
    ok, _ = run(ip, "x_after = 1 + 1")
    assert ok.error_in_exec is None and ip.user_ns["x_after"] == 2


def test_keyboard_interrupt_in_the_magic_keeps_the_partial_fit(ip):
    import keras

    class InterruptAtSecondEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    ip.user_ns["Stopper"] = InterruptAtSecondEpoch
    result, cap = run(ip, "%%kms -q -o part genre ~ rating + votes\nunits = [4]\nepochs = 4\n"
                          "batch_size = 64\nseed = 3\ncallbacks = [Stopper()]\n")
    assert result.error_in_exec is None, cap.stderr
    fit = ip.user_ns["part"]
    assert fit.partial and fit.partial_reason == "interrupted"
    assert len(fit.history) == 2 and fit.epochs == 4
    assert "interrupted at epoch 2/4" in cap.stdout and "part" in cap.stdout
    assert len(fit.predict(ip.user_ns["movies"].head(3))) == 3  # usable


def test_keyboard_interrupt_before_training_is_one_line(ip):
    """Interrupted while the network is being built: nothing to keep, so one UsageError line
    (not a KeyboardInterrupt traceback), and the kernel goes on."""
    import keras

    class InterruptingInitializer(keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            raise KeyboardInterrupt

    ip.user_ns["Init"] = InterruptingInitializer
    result, cap = run(ip, "%%kms -o never genre ~ rating + votes\nunits = [4]\nepochs = 2\n"
                          "kernel_initializer = Init()\n")
    err = result.error_in_exec
    assert isinstance(err, UsageError), f"{err!r}\n{cap.stderr}"
    assert str(err) == "%%kms interrupted before training started: nothing was trained"
    assert "never" not in ip.user_ns and "Traceback" not in cap.stdout + cap.stderr


def test_magic_same_seed_exact_same_history_and_predictions(ip):
    from kms_jupyter import kms

    body = "units = [4]\nepochs = 2\nbatch_size = 32\nseed = 11\n"
    for name in ("s1", "s2"):
        result, cap = run(ip, f"%%kms -q -o {name} genre ~ rating + votes + year\n" + body)
        assert result.error_in_exec is None, cap.stderr
    a, b = ip.user_ns["s1"], ip.user_ns["s2"]
    direct = kms("genre ~ rating + votes + year", ip.user_ns["movies"], units=[4], epochs=2,
                 batch_size=32, seed=11)
    for other in (b, direct):
        assert a.history.to_numpy().tolist() == other.history.to_numpy().tolist()
        assert a.predictions.equals(other.predictions)
