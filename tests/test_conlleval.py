"""Tests for rnnslu.conlleval, the Python port of conlleval.pl (2004-01-26).

Two kinds of tests:

* reference vectors made with the real Perl script, each compared byte for
  byte with the script's stdout and exit status. A subset of 15 is committed in
  ``tests/data/conlleval`` (always run); the full set of 60 is read from
  ``$CONLLEVAL_VECTORS``, or else from ``<repo root>/../shared/conlleval``, and
  runs instead of the subset where it is present;
* small self-contained cases whose expected numbers are worked out by hand
  below.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnslu.conlleval import ConllevalError, conlleval, evaluate, main, parse_args

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMITTED = REPO_ROOT / "tests" / "data" / "conlleval"   # 15 vectors, always here
FULL = Path(os.environ.get("CONLLEVAL_VECTORS") or REPO_ROOT.parent / "shared" / "conlleval")
N_VECTORS = 60  # the full set: 000..059 (.txt input, .args, .out, .rc)
N_COMMITTED = 15
# the set the byte-exactness test runs: the full one where present, else the committed subset
VECTORS = FULL if FULL.is_dir() else COMMITTED
# The Perl script itself, to compare ``-l`` (LaTeX) output, which the vectors do not cover:
# $CONLLEVAL_PL, else conlleval.pl beside the full set.
PERL_SCRIPT = Path(os.environ.get("CONLLEVAL_PL") or FULL / "conlleval.pl")
GET_FULL = ("to run all %d, set CONLLEVAL_VECTORS to a folder holding them (the project's "
            "shared/conlleval)" % N_VECTORS)


def _vector_params():
    ids = sorted(p.stem for p in VECTORS.glob("*.txt"))
    assert ids, "no *.txt vectors in %s" % VECTORS   # an empty folder fails, never skips
    return [pytest.param(i, id=i) for i in ids]


def test_committed_vectors_are_there():
    """The committed subset is whole (a vector missing one of its four files fails)."""
    ids = sorted(p.stem for p in COMMITTED.glob("*.txt"))
    assert len(ids) == N_COMMITTED
    for i in ids:
        for ext in (".args", ".out", ".rc"):
            assert (COMMITTED / (i + ext)).is_file(), i + ext + " missing"


def test_vector_set_is_complete():
    """Where the full set is used, all of it is there (a half-copied folder fails instead of
    quietly testing fewer), and the committed vectors are identical to their namesakes."""
    if not FULL.is_dir():
        pytest.skip("only the %d committed conlleval vectors ran (tests/data/conlleval); %s"
                    % (N_COMMITTED, GET_FULL))
    if os.environ.get("CONLLEVAL_VECTORS"):
        pytest.skip("CONLLEVAL_VECTORS names a custom set: its completeness is not checked")
    for i in range(N_VECTORS):
        for ext in (".txt", ".args", ".out", ".rc"):
            assert (FULL / ("%03d%s" % (i, ext))).is_file(), "%03d%s missing" % (i, ext)
    for p in sorted(COMMITTED.iterdir()):
        if p.suffix in (".txt", ".args", ".out", ".rc"):
            assert p.read_bytes() == (FULL / p.name).read_bytes(), p.name


def _read_args(path):
    # The .args file holds the options as they were typed, separated by single
    # spaces. The delimiter can itself be a tab ("-d <TAB>"), so split on " "
    # only, not on all whitespace.
    text = path.read_text(encoding="utf-8")
    if text.endswith("\n"):
        text = text[:-1]
    return [a for a in text.split(" ") if a != ""]


def _run(args, data: bytes):
    out, err = io.BytesIO(), io.StringIO()
    rc = main(list(args), io.BytesIO(data), out, err)
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("vid", _vector_params())
def test_reference_vector(vid):
    base = VECTORS / vid
    args = _read_args(base.with_suffix(".args"))
    data = base.with_suffix(".txt").read_bytes()
    expected_out = base.with_suffix(".out").read_bytes()
    expected_rc = int(base.with_suffix(".rc").read_text().strip())
    rc, out, _ = _run(args, data)
    assert out == expected_out
    assert rc == expected_rc


def test_vector_args_parsing(tmp_path):
    f = tmp_path / "x.args"
    for text, expected in [("\n", []), ("-d \t\n", ["-d", "\t"]),
                           ("-o NULL\n", ["-o", "NULL"]), ("-r\n", ["-r"])]:
        f.write_text(text, encoding="utf-8")
        assert _read_args(f) == expected
    assert parse_args(["-d", "\t"])["delimiter"] == "\t"
    assert parse_args(["-r", "-o", "NULL"]) == {
        "delimiter": " ", "outside": "NULL", "raw": True, "latex": False}


# --- hand-derived cases -----------------------------------------------------

# Two sentences, ATIS labels, "word gold guess".
#   gold chunks:  fromloc(boston), toloc(new york), depart_date(monday)  -> 3
#   guessed:      fromloc(boston), toloc(new), flight_mod(flights),
#                 depart_date(monday)                                     -> 4
#   correct:      fromloc, depart_date ("new" alone != "new york")        -> 2
#   tokens 6, tags right on boston, to, new, monday                      -> 4/6
#   precision 2/4 = 50.00, recall 2/3 = 66.67,
#   FB1 = 2*50*66.667/116.667 = 57.14
TWO_SENTENCES = (
    "boston B-fromloc.city_name B-fromloc.city_name\n"
    "to O O\n"
    "new B-toloc.city_name B-toloc.city_name\n"
    "york I-toloc.city_name O\n"
    "\n"
    "flights O B-flight_mod\n"
    "monday B-depart_date.day_name B-depart_date.day_name\n"
)
TWO_SENTENCES_REPORT = (
    "processed 6 tokens with 3 phrases; found: 4 phrases; correct: 2.\n"
    "accuracy:  66.67%; precision:  50.00%; recall:  66.67%; FB1:  57.14\n"
    "depart_date.day_name: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
    "       flight_mod: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
    "fromloc.city_name: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
    "  toloc.city_name: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
)


def test_two_sentences_hand_computed():
    ev = evaluate(TWO_SENTENCES)
    assert (ev.tokens, ev.correct_tags) == (6, 4)
    assert (ev.found_correct, ev.found_guessed, ev.correct_chunks) == (3, 4, 2)
    assert ev.precision == pytest.approx(50.0)
    assert ev.recall == pytest.approx(200 / 3)
    assert ev.f1 == pytest.approx(2 * 50 * (200 / 3) / (50 + 200 / 3))
    assert ev.accuracy == pytest.approx(400 / 6)
    assert ev.types == ["depart_date.day_name", "flight_mod",
                        "fromloc.city_name", "toloc.city_name"]
    assert ev.type_scores("toloc.city_name") == (0.0, 0.0, 0.0)
    assert ev.report == TWO_SENTENCES_REPORT
    # same result from bytes and from a list of lines
    assert evaluate(TWO_SENTENCES.encode()).report_bytes == TWO_SENTENCES_REPORT.encode()
    assert evaluate(TWO_SENTENCES.splitlines()).report == TWO_SENTENCES_REPORT


def test_raw_mode_with_outside_tag():
    # -r -o NULL: NULL means outside; every other tag is its own chunk (B-tag).
    # gold x,x (2 chunks), guess x,y (2); only token a matches -> 1 correct.
    rc, out, _ = _run(["-r", "-o", "NULL"], b"a x x\nb x y\nc NULL NULL\n")
    assert rc == 0
    assert out == (
        b"processed 3 tokens with 2 phrases; found: 2 phrases; correct: 1.\n"
        b"accuracy:  66.67%; precision:  50.00%; recall:  50.00%; FB1:  50.00\n"
        b"                x: precision: 100.00%; recall:  50.00%; FB1:  66.67  1\n"
        b"                y: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
    )


def test_rounding_is_printf_round_half_even():
    # 1 correct of 800 guessed: precision = 100/800 = 0.125 exactly, and
    # printf("%6.2f") rounds that tie to even: "  0.12", not "  0.13".
    # FB1 = 2*0.125*100/100.125 = 0.2497 -> "  0.25".
    text = "w B-x B-x\n" + "w O B-x\n" * 799
    ev = evaluate(text)
    assert (ev.found_correct, ev.found_guessed, ev.correct_chunks) == (1, 800, 1)
    assert ev.precision == 0.125
    assert ev.report.splitlines()[1] == (
        "accuracy:   0.12%; precision:   0.12%; recall: 100.00%; FB1:   0.25")


def test_bracket_and_dot_tags():
    # "[" and "]" chunks have length 1: two "[-x" in a row are two chunks,
    # while "I-x I-x" is one chunk.
    assert evaluate("a [-x [-x\nb [-x [-x\n").correct_chunks == 2
    assert evaluate("a I-x I-x\nb I-x I-x\n").correct_chunks == 1
    # "." never starts (or ends) a chunk because of a type change.
    ev = evaluate("a .-x .-x\nb .-y .-y\n")
    assert (ev.found_correct, ev.found_guessed, ev.tokens) == (0, 0, 2)
    assert ev.report == (
        "processed 2 tokens with 0 phrases; found: 0 phrases; correct: 0.\n"
        "accuracy: 100.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n")


def test_boundaries_docstart_and_bos_eos_are_perl_like():
    # "-X-" as first field: the whole line becomes "-X- O O" and is not a
    # token; "-DOCSTART-" (and BOS/EOS) are ordinary tokens.
    ev = evaluate("-DOCSTART- O O\n-X- B-x B-x\na B-x B-x\n")
    assert (ev.tokens, ev.found_correct, ev.correct_chunks) == (2, 1, 1)
    # an empty line ends a chunk: I-x after it starts a new one (O -> I)
    ev = evaluate("a B-x B-x\n\nb I-x I-x\n")
    assert (ev.found_correct, ev.found_guessed, ev.correct_chunks) == (2, 2, 2)


def test_empty_type_rows_repeat():
    # "B-0": `$type ? $type : ""` makes the type "0" become "". The dedup
    # loop treats "" as false, so "" gets one row from %foundCorrect and one
    # from %foundGuessed.
    ev = evaluate("a B-0 B-0\nb O O\n")
    assert ev.types == ["", ""]
    row = "                 : precision: 100.00%; recall: 100.00%; FB1: 100.00  1"
    assert ev.report.splitlines()[2:] == [row, row]


def test_width_counts_bytes_like_perl():
    # Perl pads %17s by bytes: "é" is 2 bytes in UTF-8, so 15 spaces.
    ev = evaluate("a B-\u00e9 B-\u00e9\n")
    assert ev.report.splitlines()[2].startswith(" " * 15 + "\u00e9: ")
    assert ev.found_correct_by_type == {"\u00e9": 1}


def test_latex_output():
    rc, out, _ = _run(["-l"], b"a B-x B-x\nb O B-y\n")
    assert rc == 0
    assert out == (
        b"        & Precision &  Recall  & F$_{\\beta=1} \\\\\\hline\n"
        b"x       &  100.00\\% & 100.00\\% & 100.00 \\\\\n"
        b"y       &    0.00\\% &   0.00\\% &   0.00 \\\\\\hline\n"
        b"Overall &   50.00\\% & 100.00\\% &  66.67 \\\\\\hline\n"
    )


def _latex_cases():
    """Inputs for ``-l``: hand-made ones, then every reference vector's input with its options.
    Without Perl or the script, one skip that says what to set (not one per case)."""
    import shutil
    if shutil.which("perl") is None:
        return [pytest.param(None, None, id="no-perl", marks=pytest.mark.skip(
            reason="perl not on PATH: the -l (LaTeX) output is compared with conlleval.pl run "
                   "here; install perl to run this comparison"))]
    if not PERL_SCRIPT.is_file():
        return [pytest.param(None, None, id="no-conlleval.pl", marks=pytest.mark.skip(
            reason="the -l (LaTeX) output is compared with the original conlleval.pl, which is "
                   "not part of the repository (%s not found): set CONLLEVAL_PL to a copy of "
                   "the script to run this comparison" % PERL_SCRIPT))]
    cases = [([], TWO_SENTENCES.encode()), ([], b"a B-x B-x\nb O B-y\n"),
             (["-r", "-o", "NULL"], b"a x x\nb x y\nc NULL NULL\n"),
             ([], b"a B-0 B-0\nb O O\n"), ([], b""), ([], b"a B-x B-x\nb B-x\n"),
             ([], "a B-\u00e9 B-\u00e9\nb I-\u00e9 O\n".encode())]
    params = [pytest.param(a, d, id="hand%d" % i) for i, (a, d) in enumerate(cases)]
    params += [pytest.param(_read_args(p.with_suffix(".args")), p.read_bytes(), id=p.stem)
               for p in sorted(VECTORS.glob("*.txt"))]
    return params


@pytest.mark.parametrize("args,data", _latex_cases())
def test_latex_output_matches_perl(args, data):
    """``-l`` against the real conlleval.pl, run here (expected outputs made at test time)."""
    import shutil
    p = subprocess.run([shutil.which("perl"), str(PERL_SCRIPT), "-l"] + list(args), input=data,
                       capture_output=True)
    rc, out, _ = _run(["-l"] + list(args), data)
    assert (rc, out) == (p.returncode, p.stdout)


def test_no_tokens_prints_only_first_line():
    assert _run([], b"") == (0, b"processed 0 tokens with 0 phrases; "
                                b"found: 0 phrases; correct: 0.\n", "")


def test_errors_and_exit_status():
    # a line with a different number of fields: exit(1), nothing on stdout
    rc, out, err = _run([], b"a B-x B-x\nb B-x\n")
    assert (rc, out, err) == (1, b"", "unexpected number of features: 2 (3)\n")
    with pytest.raises(ConllevalError) as exc:
        evaluate("a B-x B-x\nb B-x\n")
    assert exc.value.status == 1
    # a single field on the first line: die -> 255
    rc, out, err = _run([], b"a\n")
    assert (rc, out) == (255, b"")
    assert err == "conlleval: unexpected number of features in line a\n"
    # bad options: die -> 255
    assert _run(["-x"], b"")[0] == 255
    assert _run(["-d"], b"")[0] == 255
    assert _run(["file.txt"], b"")[0] == 255


def test_tab_delimiter():
    rc, out, _ = _run(["-d", "\t"], TWO_SENTENCES.replace(" ", "\t").encode())
    assert (rc, out) == (0, TWO_SENTENCES_REPORT.encode())


def test_command_line_module(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "rnnslu.conlleval"]
    p = subprocess.run(cmd, input=TWO_SENTENCES.encode(), capture_output=True,
                       cwd=str(tmp_path), env=env)
    assert (p.returncode, p.stdout) == (0, TWO_SENTENCES_REPORT.encode())
    p = subprocess.run(cmd, input=b"a B-x B-x\nb B-x\n", capture_output=True,
                       cwd=str(tmp_path), env=env)
    assert (p.returncode, p.stdout) == (1, b"")


# --- tutorial API -------------------------------------------------------------

def test_conlleval_tutorial_api(tmp_path):
    p = [["B-a", "O"], ["B-b"]]
    g = [["B-a", "O"], ["O"]]
    w = [["w1", "w2"], ["w3"]]
    fn = tmp_path / "pred.txt"
    res = conlleval(p, g, w, str(fn))
    # file: BOS O O / "word gold pred" lines / EOS O O / empty line
    assert fn.read_text(encoding="utf-8") == (
        "BOS O O\nw1 B-a B-a\nw2 O O\nEOS O O\n\n"
        "BOS O O\nw3 O B-b\nEOS O O\n\n")
    # gold chunks {a}, guessed {a, b}, correct {a}: P 50, R 100, F1 66.67
    # (two decimals, as get_perf parses them from the report)
    assert res == {"p": 50.0, "r": 100.0, "f1": 66.67}
    ev = evaluate(fn.read_bytes())
    assert ev.tokens == 7  # BOS/EOS count as tokens, as with the Perl script
    assert ev.f1 == pytest.approx(200 / 3)


def test_conlleval_tutorial_api_perfect_and_empty(tmp_path):
    res = conlleval([["B-x", "I-x"]], [["B-x", "I-x"]], [["a", "b"]], str(tmp_path / "f"))
    assert res == {"p": 100.0, "r": 100.0, "f1": 100.0}
    assert conlleval([], [], [], str(tmp_path / "g")) == {"p": 0.0, "r": 0.0, "f1": 0.0}
