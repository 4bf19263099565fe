"""The engine settings a user chooses (option or environment variable), checked without
importing the engine: names, domains and the errors a bad value raises.

``RNN_ENGINE``, ``RNN_LINKER`` and ``RNN_FLOATX`` are the environment twins of ``--engine``,
``--linker`` and ``--floatX``: ``check_environment`` refuses a bad value of any of them in
one line, as argparse refuses the option (``rnnrepro.cli.run_command`` calls it before every
command). Whether a valid name can *run here* (aesara installed, the numba package present)
is known only to ``rnnrepro.engine``, which raises ``EngineError``/``LinkerError`` (both in
``rnnrepro.cli.EXPECTED_ERRORS``).
"""
import os

ENGINES = ("aesara", "pytensor")
FLOATX_CHOICES = ("float32", "float64")
LINKERS = ("c", "numba", "jax")
# environment variable -> (its option, the values it takes)
ENV_CHOICES = {"RNN_ENGINE": ("--engine", ENGINES), "RNN_FLOATX": ("--floatX", FLOATX_CHOICES),
               "RNN_LINKER": ("--linker", LINKERS)}


class EngineError(ValueError):
    """A bad or unavailable engine or float type (from an option or the environment)."""


class LinkerError(ValueError):
    """A linker that does not exist or cannot run with this engine/installation."""


def env_value(name, environ=None):
    """The value of ``$name`` as the engine reads it (stripped, lower case; '' when unset;
    RNN_FLOATX keeps its case: numpy's names are lower case already)."""
    environ = os.environ if environ is None else environ
    value = environ.get(name, "").strip()
    return value if name == "RNN_FLOATX" else value.lower()


def check_environment(environ=None):
    """Raise ``EngineError`` (one line) if ``RNN_ENGINE``, ``RNN_FLOATX`` or ``RNN_LINKER``
    holds a value its option would refuse; unset or empty variables are fine."""
    for name, (option, choices) in ENV_CHOICES.items():
        value = env_value(name, environ)
        if value and value not in choices:
            raise EngineError(f"{name}={value} is not a valid {option}: choose one of "
                              f"{', '.join(choices)} (or unset it)")
