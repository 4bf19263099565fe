"""Python 3 port of ``conlleval.pl``, the CoNLL-2000 chunking evaluation script.

This follows version 2004-01-26 by Erik Tjong Kim Sang line for line. It prints
the same report as the Perl script, byte for byte, and exits with the same
status. That includes the script's odd behaviours; each one is marked with a
``Perl:`` comment where it happens.

Command line (reads standard input, writes standard output)::

    python -m rnnslu.conlleval [-l] [-r] [-d delimiter] [-o outside_tag] < file

Library::

    ev = evaluate(text_or_lines, delimiter=" ", outside="O", raw=False)
    ev.precision, ev.recall, ev.f1, ev.report      # same numbers the report shows

    conlleval(p, g, w, filename)   # rnnslu tutorial API -> {'p': .., 'r': .., 'f1': ..}

Perl reads bytes, so the port works on bytes as well (decoded as latin-1, one
character per byte). That keeps the ``%17s`` padding and the ``sort`` order in
bytes. Text passed in as ``str`` is first encoded as UTF-8.

Licence of the original: ``conlleval.pl`` states none (it ships with the CoNLL-2000 shared task
materials, http://lcg-www.uia.ac.be/conll2000/chunking/). See LICENSE.
"""

import re
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

__all__ = [
    "BOUNDARY",
    "ConllevalError",
    "Evaluation",
    "evaluate",
    "conlleval",
    "parse_args",
    "main",
]

BOUNDARY = "-X-"  # sentence-boundary first field, as in the Perl script

_FALSE, _TRUE = 0, 42  # the Perl script's truth values


class ConllevalError(Exception):
    """Raised where the Perl script stops early.

    ``status`` is the exit code the Perl script would return: 1 for
    ``exit(1)`` and 255 for ``die``.
    """

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def _perl_true(value) -> bool:
    # Perl: undef, "" and "0" are false; every other string is true.
    return value is not None and value != "" and value != "0"


def _b2s(data) -> str:
    """Turn bytes or str into the byte-per-character (latin-1) form the port works on."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return bytes(data).decode("latin-1")


def _s2str(s: str) -> str:
    """Turn a byte-per-character string back into normal text (UTF-8)."""
    return s.encode("latin-1").decode("utf-8", "surrogateescape")


def _perl_split(pattern, line: str) -> List[str]:
    """Emulate Perl's ``split(/$delimiter/, $line)``.

    Perl: a zero-width match at the start, or right where the previous match
    ended, does not split. Captured groups become fields (undef counts as "").
    Empty fields at the end are dropped, so an empty line or a line made only
    of delimiters gives an empty list.
    """
    fields: List[str] = []
    start = 0
    for m in pattern.finditer(line):
        if m.start() == m.end() == start:
            continue
        fields.append(line[start:m.start()])
        fields.extend("" if g is None else g for g in m.groups())
        start = m.end()
    fields.append(line[start:])
    while fields and fields[-1] == "":
        fields.pop()
    return fields


def _split_tag(tag: str) -> Tuple[str, str]:
    # Perl: /^([^-]*)-(.*)$/ (the 2004-01-26 fix that allows hyphens in
    # types): cut at the FIRST hyphen; a tag with no hyphen has type "".
    if "-" in tag:
        prefix, _, chunk_type = tag.partition("-")
        return prefix, chunk_type
    return tag, ""


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, chunk_type: str) -> int:
    """Perl ``endOfChunk``: did a chunk end between the previous and current word?"""
    chunk_end = _FALSE
    if prev_tag == "B" and tag == "B":
        chunk_end = _TRUE
    if prev_tag == "B" and tag == "O":
        chunk_end = _TRUE
    if prev_tag == "I" and tag == "B":
        chunk_end = _TRUE
    if prev_tag == "I" and tag == "O":
        chunk_end = _TRUE

    if prev_tag == "E" and tag == "E":
        chunk_end = _TRUE
    if prev_tag == "E" and tag == "I":
        chunk_end = _TRUE
    if prev_tag == "E" and tag == "O":
        chunk_end = _TRUE
    if prev_tag == "I" and tag == "O":
        chunk_end = _TRUE

    # Perl: any tag except "O" and "." (e.g. "NULL", or "I" after "I") ends a
    # chunk when the type changes; "." never closes a chunk this way.
    if prev_tag != "O" and prev_tag != "." and prev_type != chunk_type:
        chunk_end = _TRUE

    # Perl (corrected 1998-12-22): "[" and "]" chunks have length 1.
    if prev_tag == "]":
        chunk_end = _TRUE
    if prev_tag == "[":
        chunk_end = _TRUE

    return chunk_end


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, chunk_type: str) -> int:
    """Perl ``startOfChunk``: did a chunk start between the previous and current word?"""
    chunk_start = _FALSE
    if prev_tag == "B" and tag == "B":
        chunk_start = _TRUE
    if prev_tag == "I" and tag == "B":
        chunk_start = _TRUE
    if prev_tag == "O" and tag == "B":
        chunk_start = _TRUE
    if prev_tag == "O" and tag == "I":
        chunk_start = _TRUE

    if prev_tag == "E" and tag == "E":
        chunk_start = _TRUE
    if prev_tag == "E" and tag == "I":
        chunk_start = _TRUE
    if prev_tag == "O" and tag == "E":
        chunk_start = _TRUE
    if prev_tag == "O" and tag == "I":
        chunk_start = _TRUE

    # Perl: any tag except "O" and "." starts a chunk when the type changes;
    # a tag without a type (e.g. "NULL") after "O" starts nothing (""
    # equals "").
    if tag != "O" and tag != "." and prev_type != chunk_type:
        chunk_start = _TRUE

    # Perl (corrected 1998-12-22): "[" and "]" chunks have length 1.
    if tag == "[":
        chunk_start = _TRUE
    if tag == "]":
        chunk_start = _TRUE

    return chunk_start


def _prf(correct: int, guessed: int, found: int) -> Tuple[float, float, float]:
    """Precision, recall and FB1 in percent, with the Perl script's zero guards.

    Perl: precision is 0.0 when nothing was guessed, recall is 0.0 when the
    corpus has no chunk, and FB1 is 0.0 when precision+recall is 0. (The
    overall figures test ``> 0`` and the per-type ones test falseness or
    ``== 0.0``; with counts that are never negative, both give the same result.)
    """
    precision = 100 * correct / guessed if guessed > 0 else 0.0
    recall = 100 * correct / found if found > 0 else 0.0
    fb1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, fb1


@dataclass
class Evaluation:
    """Counts and scores from one run, plus the report printed from them.

    Scores are in percent and not rounded; the report shows them with ``%6.2f``.
    ``types`` lists the per-type rows in report order. It keeps the Perl
    quirk: the empty type "" gets one row for each time it occurs (see
    :func:`evaluate`).
    """

    tokens: int = 0
    correct_tags: int = 0
    found_correct: int = 0
    found_guessed: int = 0
    correct_chunks: int = 0
    found_correct_by_type: Dict[str, int] = field(default_factory=dict)
    found_guessed_by_type: Dict[str, int] = field(default_factory=dict)
    correct_chunks_by_type: Dict[str, int] = field(default_factory=dict)
    types: List[str] = field(default_factory=list)
    accuracy: float = 0.0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    report_bytes: bytes = b""

    @property
    def report(self) -> str:
        """The report as text (the bytes read as UTF-8)."""
        return self.report_bytes.decode("utf-8", "surrogateescape")

    def type_scores(self, chunk_type: str) -> Tuple[float, float, float]:
        """(precision, recall, FB1) of one chunk type, in percent."""
        return _prf(
            self.correct_chunks_by_type.get(chunk_type, 0),
            self.found_guessed_by_type.get(chunk_type, 0),
            self.found_correct_by_type.get(chunk_type, 0),
        )

    def metrics(self) -> Dict[str, float]:
        """Overall scores as ``{'p', 'r', 'f1', 'accuracy'}``, not rounded."""
        return {"p": self.precision, "r": self.recall, "f1": self.f1, "accuracy": self.accuracy}


def _input_bytes(data) -> bytes:
    """Turn bytes, str or an iterable of lines into the raw input bytes."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    parts = []
    for line in data:
        b = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else bytes(line)
        parts.append(b if b.endswith(b"\n") else b + b"\n")
    return b"".join(parts)


def _lines(raw: bytes) -> List[str]:
    # Perl: `while (<STDIN>) { chomp(...) }` splits on "\n" only ("\r" is
    # kept) and takes a last line that has no newline.
    text = raw.decode("latin-1")
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def evaluate(data, delimiter: Optional[str] = None, outside: str = "O",
             raw: bool = False, latex: bool = False) -> Evaluation:
    """Evaluate CoNLL data the way ``conlleval.pl`` does.

    ``data`` is the whole input as bytes or str, or an iterable of lines.
    ``delimiter`` is a regular expression, as in Perl's
    ``split(/$delimiter/)``; the default is one space. ``outside`` is the
    ``-o`` tag, which is only used with ``raw`` (``-r``). ``latex`` is ``-l``.
    The result holds the counts, the scores and the report, all from one
    pass. Raises :class:`ConllevalError` where the Perl script would stop.
    """
    delimiter = " " if delimiter is None else delimiter
    delim = _b2s(delimiter)
    o_tag = _b2s(outside)
    pattern = None

    correct_chunk = correct_tags = found_correct = found_guessed = token_counter = 0
    correct_chunk_t: Dict[str, int] = {}
    found_correct_t: Dict[str, int] = {}
    found_guessed_t: Dict[str, int] = {}
    in_correct = _FALSE
    last_correct, last_correct_type = "O", ""
    last_guessed, last_guessed_type = "O", ""
    nbr_of_features = -1

    for line in _lines(_input_bytes(data)):
        if pattern is None:
            # Perl compiles the interpolated pattern when it first needs it,
            # and a bad pattern makes it die (exit 255). re.ASCII: on bytes,
            # Perl's \s, \w and \d match ASCII characters only.
            try:
                pattern = re.compile(delim, re.ASCII)
            except re.error as exc:
                raise ConllevalError("conlleval: bad delimiter regex %r: %s\n"
                                     % (delimiter, exc), 255) from None
        features = _perl_split(pattern, line)
        # Perl: the first line sets the feature count. An empty line has
        # $#features == -1 and so leaves it unset. Empty lines are never
        # checked, but "-X-" lines are. A different count makes the script
        # exit(1) before it prints anything.
        if nbr_of_features < 0:
            nbr_of_features = len(features) - 1
        elif nbr_of_features != len(features) - 1 and len(features) != 0:
            raise ConllevalError("unexpected number of features: %d (%d)\n"
                                 % (len(features), nbr_of_features + 1), 1)
        # Perl: an empty line, or any line whose first field is "-X-", is
        # replaced by a whole boundary line ("-X-", "O", "O"). Note that
        # "-DOCSTART-" lines and BOS/EOS lines are ordinary tokens and are counted.
        if len(features) == 0 or features[0] == BOUNDARY:
            features = [BOUNDARY, "O", "O"]
        if len(features) < 2:
            raise ConllevalError("conlleval: unexpected number of features in line %s\n"
                                 % _s2str(line), 255)
        if raw:
            # Perl -r: the -o tag (and "O") means outside; every other tag
            # becomes "B-tag", so each token is a chunk of its own.
            if features[-1] == o_tag:
                features[-1] = "O"
            if features[-2] == o_tag:
                features[-2] = "O"
            if features[-1] != "O":
                features[-1] = "B-" + features[-1]
            if features[-2] != "O":
                features[-2] = "B-" + features[-2]
        guessed, guessed_type = _split_tag(features.pop())
        correct, correct_type = _split_tag(features.pop())
        # Perl: `$type ? $type : ""` turns the type "0" into "".
        guessed_type = guessed_type if _perl_true(guessed_type) else ""
        correct_type = correct_type if _perl_true(correct_type) else ""
        # Perl: with only two fields, shift() gives undef, which is not "-X-".
        first_item = features[0] if features else None

        # 1999-06-26: sentence breaks always count as outside any chunk.
        if first_item == BOUNDARY:
            guessed = "O"

        if in_correct:
            end_c = _end_of_chunk(last_correct, correct, last_correct_type, correct_type)
            end_g = _end_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
            if end_c and end_g and last_guessed_type == last_correct_type:
                in_correct = _FALSE
                correct_chunk += 1
                correct_chunk_t[last_correct_type] = correct_chunk_t.get(last_correct_type, 0) + 1
            elif end_c != end_g or guessed_type != correct_type:
                in_correct = _FALSE

        start_c = _start_of_chunk(last_correct, correct, last_correct_type, correct_type)
        start_g = _start_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
        if start_c and start_g and guessed_type == correct_type:
            in_correct = _TRUE
        if start_c:
            found_correct += 1
            found_correct_t[correct_type] = found_correct_t.get(correct_type, 0) + 1
        if start_g:
            found_guessed += 1
            found_guessed_t[guessed_type] = found_guessed_t.get(guessed_type, 0) + 1
        if first_item != BOUNDARY:
            if correct == guessed and guessed_type == correct_type:
                correct_tags += 1
            token_counter += 1

        last_guessed, last_correct = guessed, correct
        last_guessed_type, last_correct_type = guessed_type, correct_type

    if in_correct:
        correct_chunk += 1
        correct_chunk_t[last_correct_type] = correct_chunk_t.get(last_correct_type, 0) + 1

    precision, recall, fb1 = _prf(correct_chunk, found_guessed, found_correct)
    accuracy = 100 * correct_tags / token_counter if token_counter > 0 else 0.0

    # Perl: `sort (keys %foundCorrect, keys %foundGuessed)` sorts the strings
    # as bytes. Duplicates are then dropped with `not($lastType) or
    # $lastType ne $i`; "" is false in Perl, so the empty type is never
    # dropped and gets one row for each hash it is in.
    sorted_types: List[str] = []
    last_type = None
    for t in sorted(list(found_correct_t) + list(found_guessed_t)):
        if not _perl_true(last_type) or last_type != t:
            sorted_types.append(t)
        last_type = t

    out: List[str] = []
    if not latex:
        out.append("processed %d tokens with %d phrases; " % (token_counter, found_correct))
        out.append("found: %d phrases; correct: %d.\n" % (found_guessed, correct_chunk))
        if token_counter > 0:
            out.append("accuracy: %6.2f%%; " % accuracy)
            out.append("precision: %6.2f%%; " % precision)
            out.append("recall: %6.2f%%; " % recall)
            out.append("FB1: %6.2f\n" % fb1)
        for t in sorted_types:
            p, r, f = _prf(correct_chunk_t.get(t, 0), found_guessed_t.get(t, 0),
                           found_correct_t.get(t, 0))
            out.append("%17s: " % t)
            out.append("precision: %6.2f%%; " % p)
            out.append("recall: %6.2f%%; " % r)
            out.append("FB1: %6.2f  %d\n" % (f, found_guessed_t.get(t, 0)))
    else:
        out.append("        & Precision &  Recall  & F$_{\\beta=1} \\\\\\hline")
        for t in sorted_types:
            p, r, f = _prf(correct_chunk_t.get(t, 0), found_guessed_t.get(t, 0),
                           found_correct_t.get(t, 0))
            out.append("\n%-7s &  %6.2f\\%% & %6.2f\\%% & %6.2f \\\\" % (t, p, r, f))
        out.append("\\hline\n")
        out.append("Overall &  %6.2f\\%% & %6.2f\\%% & %6.2f \\\\\\hline\n"
                   % (precision, recall, fb1))

    def decode_keys(d: Dict[str, int]) -> Dict[str, int]:
        return {_s2str(k): v for k, v in d.items()}

    return Evaluation(
        tokens=token_counter,
        correct_tags=correct_tags,
        found_correct=found_correct,
        found_guessed=found_guessed,
        correct_chunks=correct_chunk,
        found_correct_by_type=decode_keys(found_correct_t),
        found_guessed_by_type=decode_keys(found_guessed_t),
        correct_chunks_by_type=decode_keys(correct_chunk_t),
        types=[_s2str(t) for t in sorted_types],
        accuracy=accuracy,
        precision=precision,
        recall=recall,
        f1=fb1,
        report_bytes="".join(out).encode("latin-1"),
    )


def conlleval(p, g, w, filename, script_path=None) -> Dict[str, float]:
    """The rnnslu tutorial's ``conlleval``: write ``filename``, then score it.

    ``p``, ``g`` and ``w`` hold, per sentence, the predicted labels, the gold
    labels and the words. Each sentence is written as ``BOS O O``, then one
    ``word gold pred`` line per word, then ``EOS O O`` and an empty line (the
    tutorial's format; BOS and EOS count as tokens). Returns
    ``{'p': precision, 'r': recall, 'f1': f1}`` in percent, rounded to two
    decimals, because the tutorial's ``get_perf`` parses them from the printed
    report. If there are no tokens, that report has no score line, so all three
    are 0.0 here. ``script_path`` is accepted for drop-in compatibility and
    ignored: no Perl is run.
    """
    out = ""
    for sl, sp, sw in zip(g, p, w):
        out += "BOS O O\n"
        for wl, wp, word in zip(sl, sp, sw):
            out += word + " " + wl + " " + wp + "\n"
        out += "EOS O O\n\n"
    with open(filename, "w", encoding="utf-8", newline="\n") as f:
        f.write(out)
    ev = evaluate(out)
    if ev.tokens == 0:
        return {"p": 0.0, "r": 0.0, "f1": 0.0}
    return {"p": float("%.2f" % ev.precision), "r": float("%.2f" % ev.recall),
            "f1": float("%.2f" % ev.f1)}


def parse_args(argv: List[str]) -> dict:
    """Read the Perl script's options (``-l``, ``-r``, ``-d D``, ``-o O``).

    Returns keyword arguments for :func:`evaluate`. Raises
    :class:`ConllevalError` (status 255) where Perl would ``die``.
    """
    args = list(argv)
    opts = {"delimiter": " ", "outside": "O", "raw": False, "latex": False}
    # Perl: options are read while the first argument starts with "-".
    # "-d" and "-o" take the next argument whatever it is, even one that
    # starts with "-".
    while args and args[0].startswith("-"):
        if args[0] == "-l":
            opts["latex"] = True
            args.pop(0)
        elif args[0] == "-r":
            opts["raw"] = True
            args.pop(0)
        elif args[0] in ("-d", "-o"):
            flag = args.pop(0)
            if not args:
                # Perl: these die messages have no "\n", so Perl appends
                # " at <script> line N."
                raise ConllevalError("conlleval: %s requires delimiter character at "
                                     "conlleval.pl line %d.\n"
                                     % (flag, 69 if flag == "-d" else 75), 255)
            opts["delimiter" if flag == "-d" else "outside"] = args.pop(0)
        else:
            raise ConllevalError("conlleval: unknown argument %s\n" % args[0], 255)
    if args:
        raise ConllevalError("conlleval: unexpected command line argument\n", 255)
    return opts


def main(argv: Optional[List[str]] = None, stdin=None, stdout=None, stderr=None) -> int:
    """Command-line entry point. Returns the exit status the Perl script would give."""
    argv = sys.argv[1:] if argv is None else argv
    stdin = sys.stdin.buffer if stdin is None else stdin
    stdout = sys.stdout.buffer if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    try:
        opts = parse_args(argv)
        ev = evaluate(stdin.read(), **opts)
    except ConllevalError as exc:
        # Perl prints everything at the end, so a run that fails prints
        # nothing to stdout.
        stderr.write(exc.message)
        stderr.flush()
        return exc.status
    stdout.write(ev.report_bytes)
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
