"""Which Keras backend runs the scripts, chosen before Keras is imported, and how to name it.

Keras 3 computes on TensorFlow, JAX or PyTorch and reads its choice from ``KERAS_BACKEND`` when it
is imported. The scripts use the one that variable names; with it unset, TensorFlow where it is
installed and JAX where it is not (requirements.txt installs JAX on Python 3.14 and Intel Macs,
which TensorFlow has no wheels for). The lesson's lines are the same on every backend; the last
digits of its figures are not, so a run off the README's backend says so.
"""

import importlib
import importlib.util
import os

from .errors import UserError

README_BACKEND = "tensorflow"  # the backend the README's figures were measured on
NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}  # backends that can train, by package
BAD_BACKEND_EXIT_CODE = 2  # as for a bad flag: nothing ran


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def choose(environ=os.environ) -> str:
    """Set ``KERAS_BACKEND`` for Keras to read and return it; a backend that cannot run is one sentence."""
    named = environ.get("KERAS_BACKEND", "").strip()
    if not named:
        found = [package for package in ("tensorflow", "jax") if installed(package)]
        if not found:
            raise UserError(
                "Keras needs TensorFlow or JAX, and neither is installed; install what the scripts need with "
                "`pip install -r requirements.txt`.",
                BAD_BACKEND_EXIT_CODE,
            )
        environ["KERAS_BACKEND"] = found[0]
        return found[0]
    backend = named.lower()
    if backend not in NAMES:
        raise UserError(
            f"KERAS_BACKEND={named} is not a backend these scripts can train on; "
            "set it to tensorflow, jax or torch, or unset it.",
            BAD_BACKEND_EXIT_CODE,
        )
    if not installed(backend):
        raise UserError(
            f"KERAS_BACKEND={named} names {NAMES[backend]}, which is not installed; "
            f"install it with `pip install {backend}`, or unset KERAS_BACKEND.",
            BAD_BACKEND_EXIT_CODE,
        )
    environ["KERAS_BACKEND"] = backend
    return backend


def running() -> tuple[str, str]:
    """("tensorflow", "2.21.0"): the backend that runs and its version (Keras has imported it already)."""
    import keras

    backend = keras.backend.backend()
    return backend, importlib.import_module(backend).__version__


def describe_backend() -> str:
    """'tensorflow 2.21.0', as a run's row in runs.csv keeps it."""
    return " ".join(running())


def describe() -> str:
    """'Keras 3.15.1 on TensorFlow 2.21.0.', with a word on the figures off the README's backend."""
    import keras

    backend, version = running()
    line = f"Keras {keras.version()} on {NAMES.get(backend, backend)} {version}."
    if backend != README_BACKEND:
        line += f" (The README's figures come from {NAMES[README_BACKEND]}: expect other last digits here.)"
    return line
