"""Check yourself: which of the post's experiments your runs have tried and what they showed, and its questions.

Reads the runs.csv that mnist_learn.py adds a row to after each run (it never writes to it), and lists the
post's experiments in the post's order: done, with your runs that show it, or not yet, with the edit that
does it. The verdicts compare your runs with each other, never with fixed figures, so they hold on any
machine and backend (mnist_helpers/post.py; docs/check.md).

    python check.py                  # your way through the post
    python check.py --quiz           # the post's questions, one at a time
    python check.py --quiz 2 2345    # answer question 2 without the prompt
"""

from mnist_helpers.plumbing import process

process.start(__name__)  # first: Ctrl-C and errors as one sentence from here on (mnist_helpers/plumbing/process.py)

import argparse
from datetime import datetime
from pathlib import Path

from mnist_helpers import post, runs
from mnist_helpers.errors import UserError
from mnist_helpers.flags import path_arg

ANSWERS = "answers.csv"  # beside runs.csv: a row for each answer given, only ever added to
COLUMNS = ("when", "question", "answer", "right")
TABLE = (COLUMNS, COLUMNS, "a file of answers")  # in the row format of runs.csv: every column required


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=path_arg, default=Path(runs.RUNS), metavar="FILE", help=f"your runs (default {runs.RUNS})"
    )
    parser.add_argument(
        "--quiz", nargs="*", metavar="N ANSWER", help="ask the post's questions; with N ANSWER, answer question N"
    )
    args = parser.parse_args(argv)
    if args.quiz and len(args.quiz) != 2:
        parser.error("argument --quiz: give nothing (to be asked) or two words: a question's number and your answer")
    return args


def read_answers(path: Path) -> tuple[list[dict], str]:
    """(the answers kept in ``path``, '' or why that file is left as it is and no answer is added to it): read as
    a table of runs is, by the one reader (runs.read_table)."""
    try:
        header, answers = runs.read_table(path, *TABLE)
        if header and header != COLUMNS:
            raise runs.Unreadable("other columns")
    except runs.Unreadable as error:
        return (
            [],
            f"{path} is not a file of answers check.py wrote ({error}): it is left as it is, and no answer is kept",
        )
    return answers, ""


def keep(path: Path, key: str, text: str, right: bool) -> None:
    """Add an answer at the end of ``path`` (made, with its header, if there is none or it is empty), whole or
    not at all: by the one writer of runs.csv's rows (runs.append_run)."""
    row = dict(zip(COLUMNS, (datetime.now().isoformat(timespec="seconds"), key, text, right)))
    try:
        runs.append_run(path, row, *TABLE, said=("your answer", f"move {path} away"))
    except runs.Unreadable as why:  # changed since it was read: left as it is
        raise UserError(f"{path} is not a file of answers check.py wrote ({why}); it is left as it is: move it away.")


def answer(path: Path, number: int, text: str, keeping: bool) -> bool:
    """Say whether ``text`` answers question ``number`` (1-based) and why, and keep it; ValueError: its form."""
    key, _, kind, right, why = post.QUESTIONS[number - 1]
    given = post.answer_of(kind, text)
    held = given == right
    print(f"  Right: {why}." if held else f"  Not quite: the answer is {right}, since {why}.")
    if keeping:
        keep(path, key, text.strip(), held)
    return held


def quiz(path: Path, ask=input) -> None:
    """The post's questions one at a time; an answer not in its question's form is asked again."""
    _, problem = read_answers(path)
    if problem:
        print(problem + ".")
    for number, (_, question, _, _, _) in enumerate(post.QUESTIONS, 1):
        while True:
            try:
                text = ask(f"\n{number}. {question}\n> ")
            except EOFError:  # the end of input: what was answered is kept
                print("\nThe end of the input: your answers so far are kept.")
                return
            try:
                answer(path, number, text, keeping=not problem)
                break
            except ValueError as form:
                print(f"  That is not an answer to this one: type {form}.")


def open_questions(path: Path) -> str:
    """'The post's questions: 2 of 7 answered right; still open: 3. reshape, ...'."""
    answers, problem = read_answers(path)
    right = {row["question"] for row in answers if row["right"] == "True"}
    still = [f"{k}. {key}" for k, (key, *_) in enumerate(post.QUESTIONS, 1) if key not in right]
    said = f"The post's questions: {len(post.QUESTIONS) - len(still)} of {len(post.QUESTIONS)} answered right"
    said += f"; still open: {', '.join(still)} (python check.py --quiz)." if still else "."
    return f"{problem}.\n{said}" if problem else said


def main(argv=None):
    args = parse_args(argv)
    answers = args.runs.parent / ANSWERS
    if args.quiz == []:
        return quiz(answers)
    if args.quiz:
        number, text = args.quiz
        if not number.isdigit() or not 1 <= int(number) <= len(post.QUESTIONS):
            raise UserError(f"--quiz {number}: the questions are numbered 1 to {len(post.QUESTIONS)}.", exit_code=2)
        try:
            answer(answers, int(number), text, keeping=not read_answers(answers)[1])
        except ValueError as form:
            raise UserError(f"--quiz {number} {text}: question {number} wants {form}.", exit_code=2)
        return None
    try:
        rows = runs.read_runs(args.runs)
    except runs.Unreadable as why:
        raise UserError(f"{args.runs} is not a table of runs ({why}); it is left as it is: point --runs at yours.")
    where = f"{args.runs}, {len(rows)} runs" if rows else f"no runs yet in {args.runs}"
    print(f"Your way through the post ({where}):")
    print("\n".join(post.progress(rows)))
    print(open_questions(answers))
    return None


if __name__ == "__main__":
    process.run(main)
