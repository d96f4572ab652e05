"""Baseline for bench/speed.py: the post's final script, step for step and setting for setting.

Only the data source differs (keras.datasets.mnist cannot download here, so the project's local
loader stands in for `mnist.load_data()`). Its bugs are kept on purpose, since this is what the
project is measured against: x_test is never scaled, and np.random.seed alone seeds nothing in Keras.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
from keras.layers import Dense  # noqa: E402
from keras.models import Sequential  # noqa: E402
from keras.utils import to_categorical  # noqa: E402

from mnist_helpers.flags import silent  # noqa: E402
from mnist_helpers.data import load_data  # noqa: E402

(x_train, y_train), (x_test, y_test) = load_data(log=silent)

np.random.seed(1337)

model = Sequential()
model.add(Dense(32, activation="relu", input_shape=(784,)))
model.add(Dense(10, activation="softmax"))

model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])

x_train = x_train.reshape((60000, 28 * 28))
y_train = to_categorical(y_train)
x_train = x_train.astype("float32") / 255

x_test = x_test.reshape((10000, 28 * 28))
y_test = to_categorical(y_test)

model.fit(x_train, y_train, epochs=5, batch_size=128, validation_data=(x_test, y_test))

test_loss, test_acc = model.evaluate(x_test, y_test)
print("test accuracy:", test_acc)
