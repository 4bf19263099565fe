"""Where a figure may be written, and writing it atomically.

``check_figure_output(path)`` is called by every plot script before any work: the name must end
in a picture format matplotlib writes here (``FORMATS``), and an existing file there is replaced
only when it is a picture of that format (a plot drawn before), never a record, a log or a
script given by mistake. ``save_figure(fig, path)`` renders into memory and writes the bytes
atomically (``rnnrepro.files.write_bytes``): a full disk leaves the previous picture whole and
names the file (matplotlib's ``savefig`` writes in place).
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
