"""Where the lesson's time goes, with one batch per call and with steps_per_execution, and what the
progress bar then shows: the measurement behind issue 21's blocked speed target.

    MNIST_DATA=../shared/mnist python bench/steps_per_execution.py [--steps 1 67]

Runs the lesson's lines (load, reshape, encode, normalize, define, compile, fit, evaluate) in a fresh
Python for each value of steps_per_execution, timing each phase, and prints the largest count the
progress bars of fit and evaluate are handed (batch + 1, what Keras' ProgbarLogger shows) against their totals.
"""

import argparse
import os
import subprocess
import sys

PROGRAM = r"""
import sys, time, io, contextlib
T0 = time.perf_counter()
marks = []
def mark(label): marks.append((label, time.perf_counter() - T0))
sys.path.insert(0, sys.argv[2])
import keras; mark("import keras")
from keras.layers import Dense
from mnist_helpers.data import load_data
(x, y), (xt, yt) = load_data(log=lambda *lines: None); mark("load")
keras.utils.set_random_seed(1337)
x = x.reshape(len(x), 784).astype("float32") / 255; xt = xt.reshape(len(xt), 784).astype("float32") / 255
y = keras.utils.to_categorical(y); yt = keras.utils.to_categorical(yt); mark("reshape, encode, normalize")
model = keras.Sequential([keras.Input((784,)), Dense(32, activation="relu"), Dense(10, activation="softmax")])
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"], steps_per_execution=int(sys.argv[1]))
mark("define, compile")
class Counts(keras.callbacks.Callback):  # the step numbers Keras hands its progress bar: it shows batch + 1
    def __init__(self): super().__init__(); self.train = self.test = 0
    def on_train_batch_end(self, batch, logs=None): self.train = max(self.train, batch + 1)
    def on_test_batch_end(self, batch, logs=None): self.test = max(self.test, batch + 1)
fitting, evaluating = Counts(), Counts()
with contextlib.redirect_stdout(io.StringIO()):
    model.fit(x, y, epochs=5, batch_size=128, validation_data=(xt, yt), callbacks=[fitting]); mark("fit")
    model.evaluate(xt, yt, callbacks=[evaluating]); mark("evaluate")
previous = 0
for label, at in marks:
    print(f"  {label:<28} {at - previous:6.2f} s")
    previous = at
print(f"  {'whole run':<28} {marks[-1][1]:6.2f} s")
print(f"  counts handed to the progress bar: fit up to {fitting.train}/469, evaluate up to {evaluating.test}/313")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 67], help="values of steps_per_execution")
    args = parser.parse_args()
    if not os.environ.get("MNIST_DATA"):
        sys.exit(
            "Set MNIST_DATA to the MNIST folder, e.g. MNIST_DATA=../shared/mnist python bench/steps_per_execution.py"
        )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    for steps in args.steps:
        print(f"steps_per_execution={steps}:", flush=True)
        subprocess.run(
            [sys.executable, "-c", PROGRAM, str(steps), root], env=env, check=True, stderr=subprocess.DEVNULL
        )


if __name__ == "__main__":
    main()
