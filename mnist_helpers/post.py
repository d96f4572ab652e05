"""The post's experiments and questions, checked: which of its suggestions your runs have tried and what they
showed (check.py, the lesson's last line), and its questions with their answers (check.py --quiz, the
notebook's check cells).

A verdict is a relation between two of your runs that differ in what the post changes and in nothing else,
on the same backend ("scaled pixels beat raw ones, the same epochs and batch size"), never an exact figure:
it holds on TensorFlow and JAX, on any CPU, among runs of other things too. A row is runs.csv's (runs.py).
"""

# The post's settings, as mnist_learn.py has them before a reader edits it (tests/test_runs.py holds them together).
POST = {"EPOCHS": 5, "BATCH_SIZE": 128, "HIDDEN_UNITS": 32, "VALIDATION": "test", "SCALE_PIXELS": True, "SEED": 1337}
RAW, SCALED = {"SCALE_PIXELS": False}, {"SCALE_PIXELS": True}
SMALL, LARGE = {"EPOCHS": 2, "BATCH_SIZE": 10}, {"EPOCHS": 5, "BATCH_SIZE": 128}  # the post's two schedules
WHY_RAW = (
    "the post's Keras 2.1 trained raw pixels to 57-62% (2 × 10) and 83% (5 × 128); Keras 3 takes the loss from "
    "the logits under the softmax, so raw pixels still learn (docs/experiments.md)"
)

# The post's experiments in its order: (name, what the post asks, the runs it takes, the flags that make the
# one missing). A run is the post's settings but those named; two runs make a comparison, the first the base.
EXPERIMENTS = [
    (
        "raw 2 × 10",
        "the first run: raw pixels, 2 epochs of batch 10",
        [{**RAW, **SMALL}],
        ["--raw-pixels", "--epochs 2", "--batch-size 10"],
    ),
    (
        "more of both",
        "raw pixels, 5 epochs of batch 128 against 2 of 10",
        [{**RAW, **SMALL}, {**RAW, **LARGE}],
        ["--raw-pixels"],
    ),
    ("one at a time", "change just one, then the other, then both together", None, None),
    ("scaled 5 × 128", "the two normalize lines: scaled pixels against raw ones", [RAW, SCALED], []),
    (
        "scaled 2 × 10",
        "would that apply with batch 10 and 2 epochs? Try it out",
        [{**RAW, **SMALL}, SMALL],
        ["--epochs 2", "--batch-size 10"],
    ),
    ("validate on test", "the last epoch's validation figure against the test figure", [{}], []),
    (
        "hidden units",
        "784, 512 or 64 hidden units against 32",
        [{}, {"HIDDEN_UNITS": (784, 512, 64)}],
        ["--hidden-units 512"],
    ),
]
EDITS = {  # each flag as the edit at the top of mnist_learn.py that does the same
    "--raw-pixels": "delete the two normalize lines",
    "--epochs 2": "EPOCHS = 2",
    "--batch-size 10": "BATCH_SIZE = 10",
    "--hidden-units 512": "HIDDEN_UNITS = 512",
}
ONE_AT_A_TIME = (
    "from one of your runs change EPOCHS alone, run, then BATCH_SIZE alone, then both (--epochs 2, --batch-size 10)"
)


def same_except(a: dict, b: dict, names) -> bool:
    """Two runs the same in every setting of the post's but ``names``, on the same backend."""
    kept = [name for name in POST if name not in names]
    backend = [str(row.get("backend") or "").split()[:1] for row in (a, b)]
    return backend[0] == backend[1] and all(a[name] == b[name] is not None for name in kept)


def matches(row: dict, wanted: dict) -> bool:
    """A run with the post's settings but ``wanted`` (a tuple: any of its values); the seed may be any."""
    for name, value in POST.items():
        value = wanted.get(name, value)
        if name != "SEED" and row.get(name) not in (value if isinstance(value, tuple) else (value,)):
            return False
    return True


def changes(base: dict, changed: dict) -> list[str]:
    """The settings in which a comparison's two runs differ: ['SCALE_PIXELS'], ['EPOCHS', 'BATCH_SIZE']."""
    return [name for name in POST if {**POST, **base}[name] != {**POST, **changed}[name]]


def pairs(rows: list[dict], base: dict, changed: dict) -> list[tuple[int, int]]:
    """Every (base, changed) pair of run numbers (0-based) that differ in what the comparison changes only."""
    names = changes(base, changed)
    return [
        (i, j)
        for j, after in enumerate(rows)
        if matches(after, changed)
        for i, before in enumerate(rows)
        if matches(before, base) and same_except(before, after, names)
    ]


def accuracy(row: dict) -> str:
    return f"{100 * row['test accuracy']:.2f}%"


def verdict(rows: list[dict], experiment) -> str | None:
    """What the reader's runs showed for ``experiment``, or None while they have not done it."""
    name, _, runs, _ = experiment
    if name == "one at a time":
        return one_at_a_time(rows)
    if name == "validate on test":
        shown = [k for k, row in enumerate(rows) if row["VALIDATION"] == "test" and row["val accuracy per epoch"]]
        run = shown[-1] if shown else None  # the latest
        if run is None:
            return None
        last, test = rows[run]["val accuracy per epoch"][-1], rows[run]["test accuracy"]
        held = "equals" if abs(last - test) < 6e-5 else "does not equal"  # Keras shows 4 digits of the epoch's figure
        return f"the last epoch's val_accuracy {last:.4f} {held} the test accuracy {test:.4f} (run #{run + 1})"
    if len(runs) == 1:
        run = next((k for k, row in enumerate(rows) if matches(row, runs[0])), None)
        if run is None:
            return None
        return f"{accuracy(rows[run])} (run #{run + 1})" + (f"; {WHY_RAW}" if rows[run]["test accuracy"] > 0.65 else "")
    found = pairs(rows, *runs)
    if not found:
        return None
    i, j = found[-1]
    before, after = rows[i], rows[j]
    gain = 100 * (after["test accuracy"] - before["test accuracy"])
    what = {"hidden units": f"{after['HIDDEN_UNITS']} hidden units", "more of both": "5 × 128"}.get(name, "scaled")
    base = {"hidden units": "with 32", "more of both": "at 2 × 10"}.get(name, "on raw pixels")
    beat = "beat it" if gain > 0 else "did not beat it"
    said = f"{what}: {accuracy(after)} against {accuracy(before)} {base} (runs #{i + 1} and #{j + 1}): {beat}, {gain:+.2f} points"
    return said + ("; the post saw 83%, see 1." if name == "more of both" and after["test accuracy"] > 0.86 else "")


def one_at_a_time(rows: list[dict]) -> str | None:
    """Three comparisons among the reader's runs: EPOCHS alone changed, BATCH_SIZE alone, both together."""
    said = []
    for names in (("EPOCHS",), ("BATCH_SIZE",), ("EPOCHS", "BATCH_SIZE")):
        found = [
            (i, j)
            for j, after in enumerate(rows)
            for i, before in enumerate(rows[:j])
            if same_except(before, after, names) and all(before[n] != after[n] for n in names)
        ]
        if not found:
            return None
        i, j = found[-1]
        gain = 100 * (rows[j]["test accuracy"] - rows[i]["test accuracy"])
        said.append(f"{' and '.join(names)} (#{i + 1} → #{j + 1}) {gain:+.2f} points")
    return "; ".join(said)


def near_miss(rows: list[dict], experiment) -> str:
    """For a comparison not yet made: a run that would pair, and what else differs ('' when none would)."""
    _, _, runs, _ = experiment
    if not runs or len(runs) < 2:
        return ""
    names = changes(*runs)
    wanted = {**POST, **runs[0]}
    for j, after in enumerate(rows):
        for i, before in enumerate(rows):
            if matches(after, runs[1]) and i != j and all(before[name] == wanted[name] for name in names):
                differ = [n for n in POST if n not in names and before[n] != after[n]] or ["backend"]
                return f" (run #{j + 1} would pair with #{i + 1}, which also differs in {', '.join(differ)})"
    return ""


def edit(flags) -> str:
    """The one edit or flag that makes an experiment's missing run."""
    if flags is None:
        return ONE_AT_A_TIME
    if not flags:
        return "`python mnist_learn.py` as it is"
    return f"`python mnist_learn.py {' '.join(flags)}` (or {', '.join(EDITS[flag] for flag in flags)})"


def progress(rows: list[dict]) -> list[str]:
    """The post's experiments in its order, each done (its runs and what they showed) or not yet (its edit)."""
    lines, done = [], 0
    for k, experiment in enumerate(EXPERIMENTS, 1):
        name, asks, _, flags = experiment
        shown = verdict(rows, experiment)
        done += shown is not None
        if shown:
            lines.append(f"  ✓ {k}. {name} ({asks}): {shown}.")
        else:
            lines.append(f"  · {k}. {name} ({asks}): not yet{near_miss(rows, experiment)}.\n      {edit(flags)}")
    return [*lines, next_line(rows, done)]


def next_line(rows: list[dict], done: int | None = None) -> str:
    """'4 of the post's 7 experiments done; next: 5. scaled 2 × 10: pass ...' (the lesson's last line too)."""
    missing = [(k, e) for k, e in enumerate(EXPERIMENTS, 1) if verdict(rows, e) is None]
    done = len(EXPERIMENTS) - len(missing) if done is None else done
    if not missing:
        return f"All {len(EXPERIMENTS)} of the post's experiments done."
    k, (name, _, _, flags) = missing[0]
    return f"{done} of the post's {len(EXPERIMENTS)} experiments done; next: {k}. {name}: {edit(flags)}."


# The post's questions: (key, question, the kind of answer, the answer, why). A number or a shape is typed; a
# "why" is a choice of three. check.py --quiz asks them; the notebook's cells call check().
QUESTIONS = [
    (
        "updates 2 × 10",
        "How many gradient updates does fit make in 2 epochs of batch 10 on 60,000 images?",
        "number",
        12000,
        "60,000 / 10 = 6,000 batches an epoch, one update each, twice: the plan line says so before fit",
    ),
    (
        "updates 5 × 128",
        "And in 5 epochs of batch 128?",
        "number",
        2345,
        "ceil(60,000 / 128) = 469 batches an epoch (the last one holds 96), 5 times",
    ),
    (
        "reshape",
        "What is x_train's shape after the reshape line?",
        "shape",
        (60000, 784),
        "each 28 × 28 image becomes one row of 784 pixels: print(x_train.shape) shows it",
    ),
    (
        "to_categorical",
        "What is y_test's shape after to_categorical?",
        "shape",
        (10000, 10),
        "each label becomes ten columns, one per output neuron, a 1 in its digit's",
    ),
    (
        "scaling",
        "What did dividing by 255 change?\n  a) the shape  b) the type and the range  c) the labels",
        "choice",
        "b",
        "float32 from 0 to 1 instead of uint8 from 0 to 255; the shape stays (60000, 784)",
    ),
    (
        "last epoch",
        "Why can the last epoch's accuracy differ from the test accuracy?\n  a) it is a running average over "
        "training images while the weights still change  b) the test set is larger  c) rounding",
        "choice",
        "a",
        "the epoch's figure averages batches seen with older weights; evaluate measures the final ones on unseen digits",
    ),
    (
        "validation",
        "Why does validating on the test set make the last epoch's figure equal the evaluation's?\n  a) Keras "
        "copies it  b) both measure the final weights on the same 10,000 digits  c) chance",
        "choice",
        "b",
        "validation runs after the epoch's last update, on x_test, y_test: evaluate then does the same",
    ),
]


def answer_of(kind: str, text: str):
    """The answer typed, in its kind's form, or ValueError saying the form wanted."""
    text = text.strip()
    if kind == "number":
        if not text.replace(",", "").isdigit():
            raise ValueError("a whole number, such as 1200")
        return int(text.replace(",", ""))
    if kind == "shape":
        inner = text[1:-1] if text.startswith("(") and text.endswith(")") else text
        parts = [part.strip() for part in inner.split(",") if part.strip()]
        if "(" in inner or ")" in inner or not parts or not all(part.isdigit() for part in parts):
            raise ValueError("a shape, such as (60000, 28, 28)")
        return tuple(int(part) for part in parts)
    if text.lower() not in ("a", "b", "c"):
        raise ValueError("a, b or c")
    return text.lower()


def check(key: str, answer=None, right=None):
    """The notebook's check cell: whether ``answer`` is the post's (or ``right``, the notebook's own value: its
    arrays' shapes), and why; with no answer yet, the question."""
    _, question, kind, post_answer, why = next(q for q in QUESTIONS if q[0] == key)
    if answer is None or answer == "":
        print(f"{question}\nPut your answer in this cell's check(...) and run it again.")
        return None
    right = post_answer if right is None else (tuple(right) if kind == "shape" else right)
    given = answer_of(kind, answer) if isinstance(answer, str) else answer
    held = (tuple(given) if kind == "shape" else given) == right
    print(f"Right: {why}." if held else f"Not quite: the answer is {right}, since {why}.")
    return held
