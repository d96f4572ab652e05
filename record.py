"""Watch it learn: record mnist_learn.py's training, the hidden units at chosen moments, as a file and a GIF.

Runs the lesson (with any of its flags), then the same fit again from the same seed with a Keras
callback that keeps the weights after updates 0, 1, 2, 5, 10, 20, 50, 100, 200 and every half epoch,
and measures each moment on 500 test digits. The second run ends on the lesson's weights, bit for bit:
the recording is of the run you just watched.

    python record.py                                   # recording.npz and training.gif
    python record.py --hidden-units 64 --out mine.npz --gif mine.gif
    python export_web.py --recording mine.npz          # the drawing page replays it
"""

from mnist_helpers.plumbing import process

process.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/plumbing/process.py)


import argparse
import sys
from pathlib import Path

import numpy as np

from mnist_helpers.model import weights_of
from mnist_helpers.flags import path_arg
from mnist_helpers.plumbing.files import said, write_output
from mnist_helpers.lesson import check_outputs, parser_for, constants, run_lesson
from mnist_helpers.recording import animation, final_weights, record_fit, save

OUT = "recording.npz"  # the recording: the weights at each moment, and the accuracy then
GIF = "training.gif"  # the hidden units forming


def own_flags(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--out", type=path_arg, default=Path(OUT), metavar="PATH", help=f"the recording (default {OUT})"
    )
    parser.add_argument(
        "--gif", type=path_arg, default=Path(GIF), metavar="PATH", help=f"the animation (default {GIF})"
    )
    parser.add_argument("--no-gif", action="store_true", help="write the recording only")
    return parser


def parse_args(argv=None):
    """record.py's own flags and the lesson's, parsed once (a wrong flag of either kind is said as record.py's,
    --help lists both): the settings the lesson runs with, and ours."""
    everything = own_flags(parser_for(constants()))  # the lesson's flags, read off its constants, and ours
    everything.prog, everything.description = "record.py", __doc__
    return everything.parse_args(sys.argv[1:] if argv is None else argv)


def main(argv=None):
    args = parse_args(argv)
    plan = check_outputs(args)  # the lesson's outputs (--save-model, its pictures), then ours: no two the same
    plan.writes(args.out, "--out", "the recording")
    if not args.no_gif:
        plan.writes(args.gif, "--gif", "the animation")
    lesson = run_lesson(args)  # the lesson as `python mnist_learn.py FLAGS` runs it, pictures and all
    print(f"\nRecording: the same fit again from seed {lesson['SEED']}, keeping the weights as it goes ...", flush=True)
    recording = record_fit(lesson)
    same = all(np.array_equal(a, b) for a, b in zip(final_weights(recording), weights_of(lesson["model"])))
    for update, accuracy in zip(recording["updates"], recording["accuracy"]):
        print(f"  after {update:>6,} updates: {accuracy:.1%} of the first {int(recording['sample'])} test digits right")
    print(
        "It ended on the lesson's weights, bit for bit."
        if same
        else "It ended near the lesson's weights but not on them: this machine's backend does not repeat a fit exactly."
    )
    print(f"Saved {said(args.out, save(recording, args.out))}: {len(recording['updates'])} moments.")
    if not args.no_gif:
        gif = animation(recording)
        replaced = write_output(args.gif, lambda temporary: temporary.write_bytes(gif))
        print(f"Saved {said(args.gif, replaced)}: the hidden units forming, {len(gif) / 1e6:.1f} MB.")
    print(f"The page replays it after: python export_web.py --recording {args.out}")


if __name__ == "__main__":
    process.run(main)
