"""The helpers behind mnist_learn.py's script-only lines and the other scripts. Each module that teaches:

- lesson.py       mnist_learn.py's five script-only calls, in the order it makes them, and the lesson run in
                  this process (run_lesson: the tests, record.py, experiments.py)
- data.py         find, read and check MNIST (--data, $MNIST_DATA, Keras' cache or download), the IDX format
- model.py        the .keras file, the fit's plan and checks, the weights, each pixel's share of a score
- runs.py         the one row format of a run: runs.csv, the comparison, the experiments table
- post.py         the post's experiments read from your runs, and its questions (check.py, the notebook)
- backend.py      choose the Keras backend, import Keras quietly, name it
- flags.py        argparse value types shared by every script; the one path type
- plotting.py     every picture a script draws (Matplotlib)
- recording.py    the weights at moments of a fit, and their animation (record.py, export_web.py)
- digit_image.py  a photo of a handwritten digit made into an MNIST digit (predict.py; the page's twin)
- errors.py       UserError: a mistake a user can fix, said in one sentence

plumbing/ teaches nothing: the process (starts, stops, exit codes, the one error boundary), signals in a
block, and files (whole-or-nothing outputs, the plan, the lock, bounded readers of what a user hands in).
"""
