# %% tags=["script-only"]
"""Your first neural network, as the post builds it: MNIST's 784 pixels in, 10 digit scores out.

The post's lines in the design order: load, reshape, encode, normalize, define, compile, fit,
evaluate. Change a constant below (or pass its flag) and run it again:

    python mnist_learn.py
    python mnist_learn.py --epochs 2 --batch-size 10 --hidden-units 512

Each "# %%" line starts a cell, which VS Code, PyCharm, Spyder and JupyterLab run one at a time.
The cells marked script-only are the command line's (mnist_helpers/); the others are the notebook's.
"""

# %% tags=["script-only"]
# Before Keras loads: Ctrl-C and errors in one sentence, the backend, a quiet start-up (mnist_helpers/lesson.py, 1).
from mnist_helpers.lesson import begin

begin(__name__)

# %% tags=["imports"]
import keras
from keras.datasets import mnist
from keras.layers import Dense
from keras.models import Sequential
from keras.utils import to_categorical

# %% tags=["constants"]
EPOCHS = 5  # passes over the whole training set
BATCH_SIZE = 128  # images per gradient update
HIDDEN_UNITS = 32  # neurons in the hidden layer; the post suggests 64, 512 or 784 too
VALIDATION = "test"  # "test" validates on the test set, as the post does; "split" holds out 10% of training
SEED = 1337  # the same seed gives the same figures again on the same machine

# %% tags=["script-only"]
# Each flag replaces the constant of its name (--epochs 2 sets EPOCHS = 2), nanoGPT's configurator pattern,
# and every constant is checked, edited here or set by a flag (mnist_helpers/lesson.py, 2).
from mnist_helpers.lesson import override

outputs = override(globals())

# %% tags=["script-only"]
# Offline: mnist.load_data() reads --data or $MNIST_DATA, else Keras' cache or download, checked (mnist_helpers/lesson.py, 3).
from mnist_helpers.lesson import Loader

mnist = Loader(outputs.data)  # noqa: F811  (in place of Keras' own mnist above)

# %% tags=["load"]
# 1. Load: uint8 images (samples, 28, 28) and their labels 0-9.
(x_train, y_train), (x_test, y_test) = mnist.load_data()
# The post's np.random.seed(1337) no longer makes Keras 3 repeatable; this seeds NumPy, Python and the backend.
keras.utils.set_random_seed(SEED)
print(x_train.ndim)  # 3
print(x_train[0].ndim)  # 2
print(x_train.shape)  # (60000, 28, 28)
print(x_train[0].shape)  # (28, 28)
print(y_test.ndim)  # 1
print(y_test[0].ndim)  # 0
print(y_test.shape)  # (10000,)
print(y_test[0].shape)  # ()

# %% tags=["reshape"]
# 2. Reshape: the first layer takes each image as one flat vector of 28 * 28 = 784 pixels.
x_train = x_train.reshape((len(x_train), 28 * 28))  # the post writes 60000: the same on MNIST, any count here
x_test = x_test.reshape((len(x_test), 28 * 28))
print(x_train.ndim)  # 2
print(x_train[0].ndim)  # 1
print(x_train.shape)  # (60000, 784)
print(x_train[0].shape)  # (784,)

# %% tags=["encode"]
# 3. Encode: label 7 becomes [0, 0, 0, 0, 0, 0, 0, 1, 0, 0], one column per output neuron.
y_train = to_categorical(y_train)
y_test = to_categorical(y_test)
print(y_test.ndim)  # 2
print(y_test[0].ndim)  # 1
print(y_test.shape)  # (10000, 10)
print(y_test[0].shape)  # (10,)
print(y_test[0])  # [0. 0. 0. 0. 0. 0. 0. 1. 0. 0.]: the first test digit is a 7

# %% tags=["normalize"]
# 4. Normalize: float32 pixels from 0-255 down to 0-1. Delete the next two lines to train on raw pixels.
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255  # the post never scales x_test, and so tests on 0-255 pixels
print(x_train.dtype, x_train.min(), x_train.max())  # float32 0.0 1.0: the shape stays (60000, 784)

# %% tags=["script-only"]
# --raw-pixels: the pixels step 4 scaled, given back as loaded, as deleting its two lines does.
x_train, x_test = outputs.pixels(x_train, x_test)

# %% tags=["validation"]
# Validation data: the post validates on the test set; "split" keeps the test set unseen until the end.
x_val, y_val = x_test, y_test
if VALIDATION == "split":
    kept = len(x_train) - len(x_train) // 10  # the first 90% train, the last 10% validate
    x_train, x_val = x_train[:kept], x_train[kept:]
    y_train, y_val = y_train[:kept], y_train[kept:]

# %% tags=["define"]
# 5. Define: a hidden layer computing relu(dot(w, x) + b), then ten outputs that sum to 1.
model = Sequential()
model.add(keras.Input(shape=(784,)))  # the post's input_shape=(784,) warns in Keras 3
model.add(Dense(HIDDEN_UNITS, activation="relu"))
model.add(Dense(10, activation="softmax"))
model.summary()

# %% tags=["compile"]
# 6. Compile: what to minimize (loss), how to update the weights (optimizer), what to report.
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])

# %% tags=["script-only"]
# Every array checked against the model before fit (a missing line said in one sentence), the plan, its clock (lesson.py, 4).
from mnist_helpers.lesson import show_plan

started = show_plan(globals())

# %% tags=["fit"]
# 7. Fit: EPOCHS passes over the training images in batches of BATCH_SIZE, validated after each.
history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE, validation_data=(x_val, y_val))

# %% tags=["evaluate"]
# 8. Evaluate on the test set.
test_loss, test_acc = model.evaluate(x_test, y_test)
print("test accuracy:", test_acc)

# %% tags=["script-only"]
# After the lesson: what the figures mean, what the flags ask for (--save-model; plots/; runs.csv), then the end (lesson.py, 5).
from mnist_helpers.lesson import save_outputs_and_exit

save_outputs_and_exit(outputs, started, globals())
