"""Baseline for mnist.py in bench/speed.py: the post's mnist.py, which imports keras.datasets.

keras.datasets.mnist cannot download here, so the project's loader reads the data; the imports are
the post's (numpy, matplotlib.pyplot, keras.datasets), and importing keras.datasets is what loads
TensorFlow.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import matplotlib.pyplot as plt  # noqa: E402, F401
import numpy as np  # noqa: E402, F401
from keras.datasets import mnist  # noqa: E402, F401

from mnist_helpers.flags import silent  # noqa: E402
from mnist_helpers.data import load_data  # noqa: E402

(train_images, train_labels), (test_images, test_labels) = load_data(log=silent)
