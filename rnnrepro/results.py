"""Run records under ``results/`` and the table that puts them beside the published numbers.

Each reproduced number lives in ``results/<id>/run.json`` (written by the run's own command or
by a recording script such as ``scripts/record_rnnslu.py``), with at least: id, package, what, metric, value, published,
published_source, label, command, commit, data, hardware, engine, floatX; optionally
``references``, a list of {value, what, source}: independent figures shown beside ours. ``results/RESULTS.md``
is generated from those records by ``scripts/make_results.py`` and never edited by hand; figures
saved at the top of ``results/`` (``*.png``, e.g. from ``scripts/plot_ptb.py``) are shown too.
"""
import glob
import json
import math
import os
import shutil
import tempfile

from .files import InputError, read_json, read_jsonl, read_text, write_bytes, write_text
from .runsafe import RunError

class RecordError(InputError, RunError):
    """A record refused where it is written (a field missing, of the wrong kind, or not
    finite): nothing is written. An input error of a record script, a run error of a run."""


REQUIRED = ("id", "package", "what", "metric", "value", "published", "published_source",
            "label", "command", "commit", "data", "hardware", "engine", "floatX")

# what each field of a record must hold ("?": or null); checked where a record is written and
# where one is read, so a table never shows 'nan' and a script never divides a string
FIELD_KINDS = {
    "id": "text", "package": "text", "what": "text", "metric": "text", "label": "text",
    "command": "text", "commit": "text", "data": "text", "hardware": "text", "engine": "text",
    "floatX": "text", "published_source": "text?", "note": "text?",
    "value": "number?", "published": "number?", "value_std": "number?", "value_min": "number?",
    "value_max": "number?", "valid_f1": "number?", "epochs": "number?", "seconds": "number?",
    "seconds_per_epoch": "number?", "peak_rss_mb": "number?",
}
_KIND_WORDS = {"text": "a string", "number": "a finite number", "int": "an integer"}


def _describe(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return f"the string {v[:40]!r}"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"a {type(v).__name__}" if isinstance(v, (dict, list)) else repr(v)


def _is_kind(v, kind):
    if kind == "text":
        return isinstance(v, str)
    if isinstance(v, bool):
        return False
    if kind == "int":
        return isinstance(v, int)
    return isinstance(v, (int, float)) and math.isfinite(v)


def check_kinds(where, obj, kinds):
    """Each field of ``obj`` named in ``kinds`` (field -> "text", "number" or "int", with a
    trailing "?" where null is allowed) holds that; else an ``InputError`` naming ``where``
    (the file) and the field."""
    for field, kind in kinds.items():
        if field not in obj:
            continue
        v = obj[field]
        base = kind.rstrip("?")
        if (v is None and kind.endswith("?")) or (v is not None and _is_kind(v, base)):
            continue
        raise InputError(f"{where}: field {field!r} is {_describe(v)}, not "
                         f"{_KIND_WORDS[base]}{' (or null)' if kind.endswith('?') else ''}")
    return obj


def check_record(where, record):
    """A results record holds ``REQUIRED`` with the kinds of ``FIELD_KINDS`` and no NaN or
    infinity anywhere; ``value`` is null only in a record whose label says it is not a full
    run (a run stopped before its measurement, e.g. results/ptb-lstm-large)."""
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise InputError(f"{where} lacks {', '.join(map(repr, missing))}")
    check_kinds(where, record, FIELD_KINDS)
    if record["value"] is None and record["label"] == "full":
        raise InputError(f"{where}: field 'value' is null in a record labelled 'full' (a "
                         f"record without its number says why in its label)")
    try:  # nested fields too (json would write NaN/Infinity, which is not JSON)
        return json.dumps(record, indent=1, default=str, allow_nan=False)
    except ValueError:
        bad = [k for k, v in record.items()
               if "NaN" in json.dumps(v, default=str) or "Infinity" in json.dumps(v, default=str)]
        raise InputError(f"{where}: field {bad[0] if bad else '?'!r} holds a non-finite "
                         f"number") from None


def read_record(path):
    """The results record in ``path`` (``run.json``), checked (``check_record``): one that
    is truncated, not JSON, lacks a field, holds NaN, or a string or null where a number
    belongs is an ``InputError`` naming the file and the field."""
    rec = read_json(path, "results record", require=REQUIRED, finite=True)
    check_record(path, rec)
    return rec


def read_rows(path, what, require, kinds):
    """The rows of a JSONL file of records (e.g. a sweep's ``sweep.jsonl``), each with the keys
    ``require`` and the kinds ``kinds`` (``check_kinds``), no NaN anywhere; else an
    ``InputError`` naming the file, line and field."""
    rows = read_jsonl(path, what, require=require, finite=True)
    numbers = [n for n, line in enumerate(read_text(path, what).splitlines(), 1)
               if line.strip()]   # the line of each row, as read_jsonl counts them
    for n, row in zip(numbers, rows):
        check_kinds(f"{path}:{n}", row, kinds)
    return rows


def _checked(folder, record):
    """The text of ``folder/run.json`` for ``record``, checked (``check_record``); a refusal
    says that nothing was written."""
    try:
        return check_record(os.path.join(folder, "run.json"), record)
    except InputError as exc:
        raise RecordError(f"{exc} (nothing written)") from None


def write_record(folder, record, copy_files=()):
    """Write ``folder/run.json`` atomically, after copying ``copy_files`` (paths, or
    ``(path, name)`` pairs) beside it; missing files are skipped. The record is checked
    (``check_record``) before anything is copied, so a refused record changes nothing. For a
    run writing the record of its own (claimed) run folder; record scripts write a whole
    record folder with ``write_record_folder``."""
    text = _checked(folder, record)
    os.makedirs(folder, exist_ok=True)
    for item in copy_files:
        src, name = item if isinstance(item, tuple) else (item, os.path.basename(item))
        dst = os.path.join(folder, name)
        if os.path.exists(src) and os.path.abspath(src) != os.path.abspath(dst):
            with open(src, "rb") as f:
                write_bytes(dst, f.read())
    write_text(os.path.join(folder, "run.json"), text)


# ----------------------------------------------------------------------------- record folders
_STAGE, _OLD = ".stage", ".old"   # suffixes of the folders a record write keeps beside it


def _beside(folder, kind):
    parent, name = os.path.split(os.path.abspath(folder))
    return parent, f".{name}{kind}-"


def _recover(folder):
    """Undo what a killed ``write_record_folder`` left beside ``folder``: the old record
    moved aside comes back when ``folder`` is missing; staged copies go."""
    parent, prefix = _beside(folder, _OLD)
    if not os.path.isdir(parent):
        return
    for name in sorted(os.listdir(parent)):
        path = os.path.join(parent, name)
        if name.startswith(prefix):
            if not os.path.exists(folder):
                os.replace(path, folder)
            else:
                shutil.rmtree(path, ignore_errors=True)
        elif name.startswith(_beside(folder, _STAGE)[1]):
            shutil.rmtree(path, ignore_errors=True)


def same_files(folder, names):
    """True when ``folder`` holds every file of ``names`` (name -> bytes) with those bytes."""
    for name, data in names.items():
        try:
            with open(os.path.join(folder, name), "rb") as f:
                if f.read() != data:
                    return False
        except OSError:
            return False
    return True


def check_record_folder(folder, overwrite=False, same_input=False, option="--id"):
    """Refuse (``InputError``) a record folder ``folder`` that holds something, unless
    ``overwrite`` or ``same_input`` (see ``write_record_folder``): for a command that writes
    the record only at its end, asked before any work."""
    _recover(folder)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise InputError(f"{folder}: {option} exists and is not a folder")
    if os.path.isdir(folder) and os.listdir(folder) and not (overwrite or same_input):
        raise InputError(f"{folder}: {option} holds another record (made from other input); "
                         f"pass --overwrite to replace it, or choose another {option}")


def write_record_folder(folder, record, files=None, overwrite=False, same_input=False,
                        option="--id"):
    """Write the record folder ``folder`` (``results/<id>``) all or nothing: ``run.json`` from
    ``record`` and ``files`` (name -> bytes or text) are checked (``check_record``: required
    fields, kinds, finite), staged in a temporary folder beside it, then swapped in, so a
    refused or failed write leaves the old record byte for byte.

    A folder that already holds something is replaced only with ``overwrite`` or when
    ``same_input`` (the caller's judgement that the new record is made from the old one's input,
    e.g. the same run's ``result.json``, or the old record pooled into the new one); then files
    of the old folder the new record does not write (a figure, a note added later) are kept,
    while ``overwrite`` replaces the folder whole. Returns the names of the old files removed.
    """
    _recover(folder)   # what a killed write left, first (even when this one is refused)
    files = {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in (files or {}).items()}
    files["run.json"] = _checked(folder, record).encode("utf-8")
    check_record_folder(folder, overwrite, same_input, option)
    exists = os.path.isdir(folder) and bool(os.listdir(folder))
    parent, prefix = _beside(folder, _STAGE)
    os.makedirs(parent, exist_ok=True)
    stage = tempfile.mkdtemp(prefix=prefix, dir=parent)
    removed = []
    try:
        if exists:
            for name in sorted(os.listdir(folder)):
                if name in files:
                    continue
                if overwrite and not same_input:
                    removed.append(name)
                    continue
                src = os.path.join(folder, name)
                (shutil.copytree if os.path.isdir(src) else shutil.copy2)(
                    src, os.path.join(stage, name))
        for name, data in files.items():
            write_bytes(os.path.join(stage, name), data)
        os.chmod(stage, 0o755)
        if exists or os.path.isdir(folder):
            old = tempfile.mkdtemp(prefix=_beside(folder, _OLD)[1], dir=parent)
            os.rmdir(old)
            os.replace(folder, old)
            try:
                os.replace(stage, folder)
            except BaseException:
                os.replace(old, folder)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(stage, folder)
    finally:
        if os.path.isdir(stage):
            shutil.rmtree(stage, ignore_errors=True)
    return removed


def write_result(out, run_id, what, value, published, published_source, label, command, data,
                 epochs, seconds, words_per_second, extra=None, model=None, package="rnnlm",
                 metric="test perplexity"):
    """One ``run.json`` per reported number (keys as in the project's results layout), with
    where it ran (commit, hardware, engine of ``model``, load); ``extra`` keys win."""
    from rnnrepro import runlog
    from rnnrepro.engine import config, describe
    eng = describe(model)
    rec = {"id": run_id, "package": package, "what": what, "metric": metric,
           "value": value, "published": published, "published_source": published_source,
           "label": label, "command": command, "commit": runlog.git_commit(), "data": data,
           "hardware": runlog.hardware(), "accelerator": runlog.accelerator(eng["linker"]),
           "engine": eng["engine"],
           "engine_version": eng["engine_version"], "linker": eng["linker"],
           "floatX": config.floatX,
           "epochs": epochs, "seconds": seconds, "words_per_second": words_per_second,
           "peak_rss_mb": round(runlog.peak_rss_mb(), 1),
           "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}
    if extra:
        rec.update(extra)
    write_record(out, rec)  # atomic, checks the required keys
    return rec


def write_run_json(results_dir, record, log_path=None, pngs=()):
    """Write ``run.json`` (+ a copy of the JSONL log and the PNGs) into ``results_dir``."""
    files = list(pngs)
    if log_path and os.path.exists(log_path):
        files.append((log_path, "log.jsonl"))
        record.setdefault("log", "log.jsonl")
    record.setdefault("plots", [os.path.basename(p) for p in pngs])
    write_record(results_dir, record, files)
    return os.path.join(results_dir, "run.json")


def load_records(results_dir="results"):
    """Every ``<results_dir>/*/run.json``, each checked (``read_record``): one that is not a
    record (truncated, not JSON, lacking a field of ``REQUIRED``, NaN, a string or null where a
    number belongs) is an ``InputError`` naming the file and the field."""
    if not os.path.isdir(results_dir):
        raise InputError(f"{results_dir}: no such results folder")
    recs = []
    for path in sorted(glob.glob(os.path.join(glob.escape(results_dir), "*", "run.json"))):
        r = read_record(path)
        r["_dir"] = os.path.relpath(os.path.dirname(path), results_dir)
        recs.append(r)
    return recs


def _fmt(v, nd=2):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


GENERATED = "Generated by `scripts/make_results.py`"   # how a RESULTS.md of ours begins

# Sections in tutorial order (README, RESULTS.md): a record's section is the first whose id
# prefix it starts with; the reproduction table names its rows' sections itself.
SECTIONS = (("ATIS slot filling", ("rnnslu-",)),
            ("WildML RNN LM (proxy: PTB text)", ("rnnlm-",)),
            ("PTB LSTM (TF tutorial)", ("ptb-lstm-",)),
            ("RNNLM toolkit and Mikolov's PTB table", ("ptb-rnnlm-", "ptb-rnnme-", "ptb-me",
                                                       "c-rnnlm-", "ngram-", "mix-", "scrn-",
                                                       "fnn-")))
REPRODUCE = "reproduce.json"   # the reproduction table's rows, in results_dir
COMPARISON = "thesis-table.json"   # a published table, row by row, beside our records
README_BEGIN = "<!-- reproduction table: generated by scripts/make_results.py from results/reproduce.json -->"
README_END = "<!-- end of reproduction table -->"
ROW_FIELDS = ("name", "tutorial", "original", "model", "loop", "command", "out", "record")


OTHER = "Other records"


def section_of(record_id):
    """The tutorial section a record's folder belongs to (``SECTIONS``), None for a benchmark
    folder (``bench*``: BENCHMARKS.md), else ``OTHER``."""
    if record_id.startswith("bench"):
        return None
    for title, prefixes in SECTIONS:
        if record_id.startswith(prefixes):
            return title
    return OTHER


def load_reproduction(results_dir="results"):
    """The rows of ``results_dir/reproduce.json``, each checked: every field of ``ROW_FIELDS``
    (``record`` may be null: a published number not yet reproduced), unique names, a record
    that exists. A bad row is an ``InputError`` naming the file, the row and the field."""
    path = os.path.join(results_dir, REPRODUCE)
    rows = read_json(path, "reproduction table").get("rows")
    if not isinstance(rows, list):
        raise InputError(f"{path}: no 'rows' list")
    names = set()
    for i, row in enumerate(rows):
        where = f"{path}: row {i + 1} ({row.get('name', '?') if isinstance(row, dict) else '?'})"
        if not isinstance(row, dict):
            raise InputError(f"{where}: not an object")
        for key in ROW_FIELDS:
            if key not in row or (row[key] is None and key != "record"):
                raise InputError(f"{where}: field '{key}' missing")
        if row["name"] in names:
            raise InputError(f"{where}: name '{row['name']}' given twice")
        names.add(row["name"])
        if row["record"] is not None and not os.path.isfile(
                os.path.join(results_dir, row["record"], "run.json")):
            raise InputError(f"{where}: record '{row['record']}' not found under {results_dir}/")
    return rows


def _duration(seconds):
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def expected_time(row, record):
    """The row's wall time from its record (``seconds``, else ``seconds_per_epoch`` x
    ``epochs`` x ``runs``; a run cut short is extrapolated to ``epochs_full``) and the machine
    it was measured on; None where the record keeps no time."""
    if record is None:
        return None
    sec, epochs = record.get("seconds"), record.get("epochs")
    runs = record.get("runs") or 1
    if sec is None and record.get("seconds_per_epoch") is not None and epochs:
        sec = record["seconds_per_epoch"] * epochs * runs
    if sec is None:
        return None
    text = _duration(sec)
    if row.get("epochs_full") and epochs:
        text = f"{_duration(sec / epochs * row['epochs_full'])} (extrapolated from {epochs} epochs)"
    elif runs > 1:
        text += f" ({runs} runs of {_duration(sec / runs)})"
    machine = record["hardware"]
    if record.get("accelerator"):
        machine += " + " + record["accelerator"]
    return f"{text}, {machine}"


def _ours(record):
    ours = _fmt(record["value"])
    if record.get("value_std") is not None:  # a mean over runs (folds x seeds): its spread
        ours += f" ± {_fmt(record['value_std'])} ({_fmt(record['value_min'])}–{_fmt(record['value_max'])})"
    return ours


def reproduction_rows(results_dir="results"):
    """The reproduction rows with the record's numbers filled in: ``published`` (the row's own
    where it names one, e.g. a like-for-like figure, else the record's), ``ours``, ``time``."""
    out = []
    for row in load_reproduction(results_dir):
        rec = (read_record(os.path.join(results_dir, row["record"], "run.json"))
               if row["record"] else None)
        r = dict(row)
        if "published" not in row:
            r["published"] = rec["published"] if rec else None
            r["published_source"] = rec["published_source"] if rec else None
        ours = _ours(rec) if rec and rec["value"] is not None else "—"
        if row.get("ours_note"):
            ours = row["ours_note"] if ours == "—" else f"{ours} ({row['ours_note']})"
        r["ours"] = ours
        r["metric"] = rec["metric"] if rec else "test perplexity"
        r["time"] = expected_time(row, rec)
        out.append(r)
    return out


def reproduction_markdown(results_dir="results"):
    """The README's reproduction table: one row per published number."""
    out = ["| name | original | our model, loop | command | expected time (machine) | output | "
           "published | ours |",
           "|---|---|---|---|---|---|---|---|"]
    section = None
    for r in reproduction_rows(results_dir):
        if r["tutorial"] != section:
            section = r["tutorial"]
            out.append(f"| **{section}** | | | | | | | |")
        pub = _fmt(r["published"])
        if r.get("published_note"):
            pub += f" ({r['published_note']})"
        out.append("| " + " | ".join([
            f"`{r['name']}`", r["original"], f"`{r['model']}`, `{r['loop']}`",
            f"`{r['command']}`", r["time"] or "—", f"`{r['out']}`", pub, r["ours"]]) + " |")
    return "\n".join(out) + "\n"


def write_readme_table(readme, results_dir="results"):
    """Replace the text between ``README_BEGIN`` and ``README_END`` in ``readme`` with
    ``reproduction_markdown``; a README without both markers is refused, not changed.
    Returns True when the file changed."""
    text = read_text(readme, "README")
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise InputError(f"{readme}: no reproduction-table markers ('{README_BEGIN}' ... "
                         f"'{README_END}'); not changed")
    new = (text[:begin + len(README_BEGIN)] + "\n" + reproduction_markdown(results_dir)
           + text[end:])
    if new != text:
        write_text(readme, new)
    return new != text


def _refuse_foreign(path):
    if os.path.lexists(path):
        try:
            with open(path, "rb") as f:
                head = f.read(400)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror}); not replaced") from None
        if GENERATED.encode() not in head:
            raise InputError(f"{path}: exists and was not written by make_results.py; never "
                             f"replaced (move it away first)")


def write_results_markdown(results_dir="results"):
    """Write ``results_dir/RESULTS.md`` (``results_markdown``) and ``results_dir/BENCHMARKS.md``
    (``benchmarks_markdown``), every record read and checked first; an existing file that this
    function did not write is never replaced. Returns the RESULTS.md text."""
    text, bench = results_markdown(results_dir), benchmarks_markdown(results_dir)
    paths = [os.path.join(results_dir, n) for n in ("RESULTS.md", "BENCHMARKS.md")]
    for path in paths:
        _refuse_foreign(path)
    write_text(paths[0], text)
    write_text(paths[1], bench)
    return text


def _record_table(rows):
    out = ["| what | metric | ours | published | source | label | epochs | s/epoch | "
           "peak RSS MB | engine, floatX | record |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        spe = r.get("seconds_per_epoch")
        if spe is None and r.get("seconds") and r.get("epochs"):
            spe = r["seconds"] / r["epochs"]  # records that keep only the total
        ours = _ours(r)
        if r.get("valid_f1") is not None:
            ours += f" (valid {_fmt(r['valid_f1'])}, best epoch {r.get('best_epoch')})"
        out.append("| " + " | ".join([
            r["what"], r["metric"], ours, _fmt(r["published"]),
            r["published_source"] or "—", r["label"], _fmt(r.get("epochs")),
            _fmt(spe, 1) if spe is not None else "—", _fmt(r.get("peak_rss_mb"), 0),
            f"{r['engine']}, {r['floatX']}", f"[{r['_dir']}]({r['_dir']}/run.json)"]) + " |")
    out += ["", "Commands, commits, data and hardware:", ""]
    for r in rows:
        out.append(f"- **{r['what']}**: `{r['command']}` — commit {r['commit']}; "
                   f"data: {r['data']}; hardware: {r['hardware']}"
                   + (f"; note: {r['note']}" if r.get("note") else ""))
        for ref in r.get("references", []):  # independent figures beside ours
            out.append(f"  - reference: **{_fmt(ref['value'])}**, {ref['what']} "
                       f"({ref['source']})")
    return out


def comparison_markdown(results_dir, records):
    """A published table in its own order (``thesis-table.json``: title, intro, rows of
    ``row``, ``published``, optional ``published_kn5``, and our ``record`` / ``record_kn5`` or
    ``open``: why there is none) with our value from each named record; [] without the file."""
    path = os.path.join(results_dir, COMPARISON)
    if not os.path.exists(path):
        return []
    table = read_json(path)
    by_id = {r["_dir"]: r for r in records}
    out = [f"## {table['title']}", "", table["intro"], "",
           "| model | published | ours | published +KN5 | ours +KN5 | records |",
           "|---|---|---|---|---|---|"]
    for i, row in enumerate(table["rows"]):
        ids = [row[k] for k in ("record", "record_kn5") if row.get(k)]
        missing = [x for x in ids if x not in by_id]
        if missing or not (ids or row.get("open")):
            raise InputError(f"{path}: row {i + 1} ({row.get('row')!r}) names "
                             + (f"no record here: {', '.join(missing)}" if missing else
                                "neither a record nor why it is open"))
        ours = [_ours(by_id[row[k]]) if row.get(k) else "open" if row.get(pub) else "—"
                for k, pub in (("record", "published"), ("record_kn5", "published_kn5"))]
        links = ", ".join(f"[{x}]({x}/run.json)" for x in ids) or row["open"]
        out.append(f"| {row['row']} | {_fmt(row.get('published'), 1)} | {ours[0]} | "
                   f"{_fmt(row.get('published_kn5'), 1)} | {ours[1]} | {links} |")
    return out + [""]


def results_markdown(results_dir="results"):
    """RESULTS.md: a headline table (the reproduction rows, where ``reproduce.json`` exists),
    then every record by tutorial (``SECTIONS``) and the figures; benchmark records and tables
    are on their own page (``benchmarks_markdown``)."""
    recs = load_records(results_dir)
    out = ["# Results", "",
           GENERATED + " from the `run.json` records in this folder; "
           "every number below comes from a run recorded here (command, commit, data, hardware). "
           "Rows labelled *smaller* or *proxy* are not the published setting: the label says how. "
           "Benchmarks: [BENCHMARKS.md](BENCHMARKS.md).",
           ""]
    if os.path.exists(os.path.join(results_dir, REPRODUCE)):
        out += ["## Headline: each published number beside ours", "",
                "In tutorial order; how to re-run a row: `scripts/reproduce.py NAME` "
                "(the README's reproduction table).", "",
                "| name | what | metric | published | ours | record |", "|---|---|---|---|---|---|"]
        for r in reproduction_rows(results_dir):
            pub = _fmt(r["published"])
            if r.get("published_source"):
                pub += f" ({r['published_source']})"
            link = f"[{r['record']}]({r['record']}/run.json)" if r["record"] else "—"
            out.append(f"| `{r['name']}` | {r['original']} | {r['metric']} | {pub} | "
                       f"{r['ours']} | {link} |")
        out.append("")
    out += comparison_markdown(results_dir, recs)
    for title in [t for t, _ in SECTIONS] + [OTHER]:
        rows = [r for r in recs if section_of(r["_dir"]) == title]
        if rows:
            out += [f"## {title}", ""] + _record_table(rows) + [""]
    figures = sorted(glob.glob(os.path.join(glob.escape(results_dir), "*.png")))
    if figures:
        out += ["## Figures", ""]
        for png in figures:
            name = os.path.basename(png)
            out += [f"![{name}]({name})", ""]
    return "\n".join(out) + "\n"


def benchmarks_markdown(results_dir="results"):
    """BENCHMARKS.md: the records outside every tutorial section (benchmarks) and each
    ``bench*/bench.md`` table."""
    recs = [r for r in load_records(results_dir) if section_of(r["_dir"]) is None]
    out = ["# Benchmarks", "",
           GENERATED + " from the benchmark records and `bench*/bench.md` tables in this "
           "folder. Results: [RESULTS.md](RESULTS.md).", ""]
    if recs:
        out += ["## Benchmark records", ""] + _record_table(recs) + [""]
    for bench in sorted(glob.glob(os.path.join(glob.escape(results_dir), "bench*", "bench.md"))):
        name = os.path.basename(os.path.dirname(bench))
        out += [f"## Benchmark: {name}", "", read_text(bench, "benchmark table").strip(), ""]
    return "\n".join(out) + "\n"
