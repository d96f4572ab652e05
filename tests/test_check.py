"""check.py: the post's experiments read from your runs, and its questions (mnist_helpers/post.py)."""

import hashlib
import io
import signal
import subprocess
import sys
import time
from contextlib import redirect_stdout

import pytest
from support import ROOT, clean_env

import check
from mnist_helpers import post, runs


def a_run(accuracy: float, backend: str = "tensorflow 2.21.0", **settings) -> dict:
    """A row of runs.csv: the post's settings but ``settings``, and this test accuracy (its last epoch's too)."""
    epochs = [round(accuracy - 0.01, 4), round(accuracy, 4)]
    return {**post.POST, "when": "2026-12-07T10:00:00", "backend": backend, "keras": "3.15.1", "updates": 2345,
            "seconds": 5.0, "test loss": 0.2, "test accuracy": accuracy, "val accuracy per epoch": epochs, **settings}  # fmt: skip


RAW = {"SCALE_PIXELS": False}
SMALL = {"EPOCHS": 2, "BATCH_SIZE": 10}


def the_post(shift: float = 0.0, backend: str = "tensorflow 2.21.0") -> list[dict]:
    """Runs that do each of the post's experiments, in the order a reader might: figures moved by ``shift``."""
    figures = [
        (0.7933, {**RAW, **SMALL}),  # 1. raw 2 × 10
        (0.9001, RAW),  # 2. raw 5 × 128
        (0.9564, {}),  # 4. scaled 5 × 128; validated on the test set (6.)
        (0.9495, SMALL),  # 5. scaled 2 × 10, and both changed from #3 (3.)
        (0.9300, {"EPOCHS": 2}),  # 3. EPOCHS alone from #3
        (0.9600, {"BATCH_SIZE": 10}),  # 3. BATCH_SIZE alone from #3
        (0.9798, {"HIDDEN_UNITS": 512}),  # 7. hidden units
    ]
    return [a_run(accuracy + shift, backend, **settings) for accuracy, settings in figures]


def told(rows) -> list[str]:
    """The experiments' lines (✓ done, · not yet), and the last line."""
    return post.progress(rows)


def test_every_experiment_done_names_its_runs_and_one_missing_is_next_with_its_edit():
    lines = told(the_post())
    assert [line[2] for line in lines[:-1]] == ["✓"] * 7 and lines[-1] == "All 7 of the post's experiments done."
    assert "(run #1)" in lines[0] and "Keras 2.1" in lines[0]  # the post saw less on raw pixels: said why
    assert "90.01% against 79.33% at 2 × 10 (runs #1 and #2)" in lines[1]
    assert "scaled: 95.64% against 90.01% on raw pixels (runs #2 and #3): beat it, +5.63 points" in lines[3]
    assert "512 hidden units: 97.98% against 95.64% with 32 (runs #3 and #7)" in lines[6]
    rows = [row for row in the_post() if row["HIDDEN_UNITS"] == 32]  # no hidden-units run
    lines = told(rows)
    assert lines[6].startswith("  · 7. hidden units") and "--hidden-units 512" in lines[6]
    assert lines[-1] == (
        "6 of the post's 7 experiments done; next: 7. hidden units: "
        "`python mnist_learn.py --hidden-units 512` (or HIDDEN_UNITS = 512)."
    )


def test_other_last_digits_and_another_backend_give_the_same_verdicts():
    """Relations, never exact figures: JAX's runs, every figure moved a little, tell the same."""
    ours, theirs = told(the_post()), told(the_post(shift=0.0013, backend="jax 0.8.1"))
    assert [line[:30] for line in ours] == [line[:30] for line in theirs]
    mixed = the_post()[:2] + the_post(backend="jax 0.8.1")[2:4]  # raw on TensorFlow, scaled on JAX
    assert "· 4. scaled 5 × 128" in "\n".join(told(mixed))  # another backend is no comparison


def test_two_settings_changed_at_once_are_not_one_at_a_time():
    rows = [a_run(0.9564), a_run(0.9495, **SMALL)]  # EPOCHS and BATCH_SIZE changed together only
    assert told(rows)[2].startswith("  · 3. one at a time")
    rows = [a_run(0.9564), a_run(0.9495, SEED=7, **SMALL), a_run(0.93, EPOCHS=2)]  # another seed: no pair
    line = told(rows)[4]
    assert line.startswith("  · 5. scaled 2 × 10") or "#" not in line.split(":")[0]
    near = told([a_run(0.7933, **RAW, **SMALL), a_run(0.9495, SEED=7, **SMALL)])[4]
    assert "run #2 would pair with #1, which also differs in SEED" in near


def test_no_runs_a_file_that_is_not_runs_and_an_earlier_log(tmp_path, capsys):
    check.main(["--runs", str(tmp_path / "runs.csv")])
    out = capsys.readouterr().out
    assert out.count(" not yet") == 7 and "0 of the post's 7 experiments done; next: 1. raw 2 × 10" in out
    (tmp_path / "runs.csv").write_bytes(b"name,score\nalice,3\n")
    with pytest.raises(check.UserError, match="is not a table of runs .* it is left as it is"):
        check.main(["--runs", str(tmp_path / "runs.csv")])
    assert (tmp_path / "runs.csv").read_bytes() == b"name,score\nalice,3\n"
    earlier = tmp_path / "earlier.csv"  # a log without the columns it need not have
    kept = ("when", "EPOCHS", "BATCH_SIZE", "HIDDEN_UNITS", "VALIDATION", "SCALE_PIXELS", "SEED", "backend")
    lines = [",".join(kept)] + [",".join(runs.as_text(c, row[c]) for c in kept) + ",0.95" for row in the_post()]
    earlier.write_text(lines[0] + ",test accuracy\n" + "\n".join(lines[1:]) + "\n")
    before = hashlib.sha256(earlier.read_bytes()).hexdigest()
    check.main(["--runs", str(earlier)])
    assert "6 of the post's 7 experiments done" in capsys.readouterr().out  # no per-epoch figures: 6. waits
    assert hashlib.sha256(earlier.read_bytes()).hexdigest() == before  # nothing written into runs.csv


RIGHT = ["12000", "2,345", "(60000, 784)", "(10000, 10)", "b", "a", "b"]


def test_every_question_right_wrong_and_malformed_and_the_answers_kept(tmp_path):
    answers = tmp_path / check.ANSWERS
    typed = iter(["abc", RIGHT[0], "12001", "(60000 784", RIGHT[2], "(10000, 1)", "d", "c", RIGHT[5], RIGHT[6]])
    out = io.StringIO()
    with redirect_stdout(out):
        check.quiz(answers, ask=lambda prompt: next(typed))
    said = out.getvalue()
    assert said.count("That is not an answer to this one: type") == 3  # abc, (60000 784, d: asked again
    assert (
        "type a whole number" in said and "type a shape, such as (60000, 28, 28)" in said and "type a, b or c" in said
    )
    assert said.count("  Right: ") == 4 and said.count("  Not quite: the answer is") == 3
    kept = answers.read_text().splitlines()
    assert kept[0] == "when,question,answer,right" and len(kept) == 8
    assert [line.rsplit(",", 1)[1] for line in kept[1:]] == ["True", "False", "True", "False", "False", "True", "True"]
    assert "still open: 2. updates 5 × 128, 4. to_categorical, 5. scaling" in check.open_questions(answers)
    for number, text in ((2, RIGHT[1]), (4, RIGHT[3]), (5, RIGHT[4])):
        check.main(["--runs", str(tmp_path / "runs.csv"), "--quiz", str(number), text])
    assert check.open_questions(answers).startswith("The post's questions: 7 of 7 answered right.")
    with pytest.raises(check.UserError, match="question 3 wants a shape"):
        check.main(["--runs", str(tmp_path / "runs.csv"), "--quiz", "3", "(60000 784"])
    assert len(answers.read_text().splitlines()) == 11  # appended only, the malformed one not at all


def test_an_empty_answers_file_gets_its_header_with_the_first_answer(tmp_path):
    """An answers.csv that is there but empty (made by hand, or cut short) is a file of answers with none yet,
    as an empty runs.csv is a table of runs: the first answer comes with the header, and the next still adds."""
    answers = tmp_path / check.ANSWERS
    answers.write_bytes(b"")
    for number in (1, 3):
        check.main(["--runs", str(tmp_path / "runs.csv"), "--quiz", str(number), RIGHT[number - 1]])
    assert answers.read_text().splitlines()[0] == "when,question,answer,right"
    assert check.read_answers(answers)[1] == "" and len(check.read_answers(answers)[0]) == 2


def test_a_damaged_answers_file_is_left_as_it_is_and_the_quiz_still_runs(tmp_path):
    answers = tmp_path / check.ANSWERS
    answers.write_bytes(b"\xff\xfe not ours")
    out = io.StringIO()
    typed = iter(RIGHT[:2])

    def ask(prompt):  # two answers, then the end of the input (Ctrl-D)
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    with redirect_stdout(out):
        check.quiz(answers, ask=ask)
    said = out.getvalue()
    assert "is not a file of answers check.py wrote" in said and said.count("  Right: ") == 2
    assert "The end of the input: your answers so far are kept." in said
    assert answers.read_bytes() == b"\xff\xfe not ours"


def test_ctrl_c_in_the_quiz_keeps_what_was_answered(tmp_path):
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "check.py"), "--quiz"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
    )
    process.stdin.write("12000\n")
    process.stdin.flush()
    for _ in range(300):  # until the first answer is kept and the second question waits
        if (tmp_path / check.ANSWERS).exists():
            break
        time.sleep(0.05)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130 and stderr.endswith("Interrupted.\n") and "Traceback" not in stderr, stderr
    assert (tmp_path / check.ANSWERS).read_text().splitlines()[1].endswith(",updates 2 × 10,12000,True")


def test_the_notebooks_check_function_answers_with_the_notebooks_values(capsys):
    """The notebook's cells call post.check (inlined by notebook/build.py): a shape from its own arrays, a
    typed answer, or nothing yet (the question, and no error: the notebook runs top to bottom)."""
    assert post.check("reshape", (60000, 784)) is True and post.check("updates 5 × 128", 2344) is False
    assert post.check("reshape", "(640, 784)", right=(640, 784)) is True  # the notebook's own arrays
    assert post.check("scaling", "") is None and post.check("validation", "B") is True
    said = capsys.readouterr().out
    assert "What did dividing by 255 change?" in said and "Not quite: the answer is 2345" in said
