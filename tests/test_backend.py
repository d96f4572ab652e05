"""The Keras backend: the one KERAS_BACKEND names, else TensorFlow where installed and JAX where not;
named in the output; a backend that cannot run is one sentence and exit code 2, with nothing written."""

import re

import pytest
from support import assert_clean_failure, clean_env, on_the_fresh_run, run_script

from mnist_helpers import backend
from mnist_helpers.errors import UserError


@pytest.mark.parametrize("have, chosen", [({"tensorflow", "jax"}, "tensorflow"), ({"jax"}, "jax")])
def test_unset_means_tensorflow_where_installed_and_jax_where_not(monkeypatch, have, chosen):
    monkeypatch.setattr(backend, "installed", lambda package: package in have)
    environ = {}
    assert backend.choose(environ) == chosen and environ["KERAS_BACKEND"] == chosen


def test_a_named_backend_is_used_as_named(monkeypatch):
    monkeypatch.setattr(backend, "installed", lambda package: True)
    environ = {"KERAS_BACKEND": "JAX "}
    assert backend.choose(environ) == "jax" and environ["KERAS_BACKEND"] == "jax"


def test_no_backend_installed_says_what_to_install(monkeypatch):
    monkeypatch.setattr(backend, "installed", lambda package: False)
    with pytest.raises(UserError, match=re.escape("pip install -r requirements.txt")) as raised:
        backend.choose({})
    assert raised.value.exit_code == 2


def test_an_unknown_backend_is_one_sentence_and_writes_nothing(tmp_path):
    result = run_script("mnist_learn.py", "--epochs", "1", cwd=tmp_path, env=clean_env(KERAS_BACKEND="theano"))
    assert_clean_failure(result, "KERAS_BACKEND=theano", "tensorflow, jax or torch", exit_code=2)
    assert list(tmp_path.iterdir()) == []  # no plots/ folder, nothing else


def test_a_backend_that_is_not_installed_says_what_to_install(tmp_path):
    missing = next((name for name in ("torch", "jax", "tensorflow") if not backend.installed(name)), None)
    if missing is None:
        pytest.skip("TensorFlow, JAX and PyTorch are all installed here")
    result = run_script("mnist_learn.py", cwd=tmp_path, env=clean_env(KERAS_BACKEND=missing))
    assert_clean_failure(result, f"KERAS_BACKEND={missing}", "not installed", f"pip install {missing}", exit_code=2)
    assert list(tmp_path.iterdir()) == []


@on_the_fresh_run
def test_the_run_names_its_backend_and_says_when_the_figures_are_not_the_readmes(fresh_run):
    import keras

    result = fresh_run.process
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # a quiet start-up, whatever the backend
    first = result.stdout.splitlines()[0]
    name = backend.NAMES[keras.backend.backend()]
    assert re.fullmatch(rf"Keras {re.escape(keras.version())} on {name} \S+\.( \(.*\))?", first), first
    off_readme = "The README's figures come from TensorFlow" in first
    assert off_readme == (keras.backend.backend() != "tensorflow"), first
