"""Run a script as ``python SCRIPT ARGS`` would, and report how long its ``fit`` call took.

Used by bench/speed.py. The script's imports are left exactly as they are (the timer hooks
Keras' trainer module when the script itself imports it), so what is measured is what the
script does. The fit time goes to the file named by $BENCH_FIT_FILE.
"""

import importlib.abc
import importlib.util
import os
import runpy
import sys
import time

TRAINER_MODULE = "keras.src.backend.tensorflow.trainer"


def time_fit(trainer_class):
    fit = trainer_class.fit

    def timed_fit(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return fit(self, *args, **kwargs)
        finally:
            with open(os.environ["BENCH_FIT_FILE"], "a") as out:
                out.write(f"{time.perf_counter() - start}\n")

    trainer_class.fit = timed_fit


class HookTrainer(importlib.abc.MetaPathFinder):
    """When Keras' TensorFlow trainer module is loaded, wrap its fit with a timer."""

    def find_spec(self, name, path, target=None):
        if name != TRAINER_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            time_fit(module.TensorFlowTrainer)

        spec.loader.exec_module = exec_module
        return spec


if __name__ == "__main__":
    sys.meta_path.insert(0, HookTrainer())
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
