"""Where a figure may be written, and writing it atomically.

``check_figure_output(path)`` is called by every plot script before any work: the name must end
in a picture format matplotlib writes here (``FORMATS``), and an existing file there is replaced
only when it is a picture of that format (a plot drawn before), never a record, a log or a
script given by mistake. ``save_figure(fig, path)`` renders into memory and writes the bytes
atomically (``rnnrepro.files.write_bytes``): a full disk leaves the previous picture whole and
names the file (matplotlib's ``savefig`` writes in place). ``pyplot()`` imports matplotlib for
the plot functions (one clear line when it is not installed); ``log_axis`` gives a perplexity
axis that stays readable when the runs' ranges differ by much.
"""
import io
import os

from .files import InputError, write_bytes

# extension -> how a file of that format starts (the first bytes of the picture)
FORMATS = {"png": (b"\x89PNG\r\n\x1a\n",), "pdf": (b"%PDF-",), "svg": (b"<?xml", b"<svg")}


def _format(path):
    return os.path.splitext(path)[1][1:].lower()


def check_figure_output(path, option="-o"):
    """Refuse (``InputError``, naming ``option`` and ``path``) a figure name whose extension is
    not one of ``FORMATS``, a folder, or an existing file that is not a picture of its format."""
    fmt = _format(path)
    if fmt not in FORMATS:
        raise InputError(f"{path}: {option} must name a picture ending in "
                         f"{', '.join('.' + f for f in FORMATS)}, not "
                         f"{'.' + fmt if fmt else 'no extension'}")
    if os.path.isdir(path):
        raise InputError(f"{path}: {option} is a folder; name the picture file")
    if os.path.exists(path):
        try:
            with open(path, "rb") as f:
                head = f.read(256)
        except OSError as exc:
            raise InputError(f"{path}: {option} cannot be read to check it is a picture "
                             f"({exc.strerror})") from None
        if not head.lstrip().startswith(FORMATS[fmt]):
            raise InputError(f"{path}: exists and is not a .{fmt} picture; {option} never "
                             f"replaces another file (remove it first, or choose another name)")
    return path


def save_figure(fig, path, dpi=110, option="-o"):
    """``fig.savefig(path)`` in the format of ``path``'s extension, written atomically (after
    ``check_figure_output``); returns ``path``."""
    check_figure_output(path, option)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format=_format(path))
    write_bytes(path, buf.getvalue())
    return path


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend. Without matplotlib: an ``InputError``
    saying what to install (the scripts then stop with one line and exit status 2)."""
    try:
        import matplotlib
    except ImportError:
        raise InputError("matplotlib is not installed; figures need it (pip install matplotlib, "
                         "or install this package with its default dependencies)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def log_axis(ax, which="y", ratio=3.0, values=()):
    """A log scale on ``ax``'s ``which`` axis when ``values`` span more than ``ratio`` (one run
    far above the others would flatten them on a linear axis), with ticks written as plain
    numbers (80, 100, 200, ...), not powers of ten. True when the axis was made logarithmic."""
    vals = [v for v in values if v is not None and v == v and v > 0]
    if not vals or max(vals) / min(vals) <= ratio:
        return False
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10))))
    fmt = ScalarFormatter()
    fmt.set_scientific(False)
    axis.set_major_formatter(fmt)
    axis.set_minor_formatter(NullFormatter())
    return True
