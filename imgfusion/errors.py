"""Exceptions that imgfusion raises on purpose, each mapped to a CLI exit code."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

MAX_MESSAGE = 1000  # characters of one problem's message that are shown


class ImgfusionError(Exception):
    """Base class of every error imgfusion raises on purpose."""

    exit_code = 1


class ParameterError(ValueError, ImgfusionError):
    """Bad input to an operator: names the parameter (or image input) at fault.

    Operators raise this for anything the user can fix (wrong sizes, empty masks,
    NaN pixels, out-of-range values).  Raised by an operator's check at validation it
    becomes a recipe problem (exit status 2); raised while running, the engine wraps it
    in :class:`StepFailed`, naming the step (exit status 1).
    """

    exit_code = 2

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (step, field) and what."""

    step: str | None
    field: str | None
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = []
        if self.step is not None:
            where.append(f"step {self.step}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        message = self.message
        if len(message) > MAX_MESSAGE:  # a hostile value must not flood the terminal
            message = message[:MAX_MESSAGE] + f"... ({len(message) - MAX_MESSAGE} more characters)"
        text = (", ".join(where) + ": " if where else "") + message
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        return text


class RecipeError(ImgfusionError):
    """A recipe that cannot run; carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the recipe"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class PluginError(ImgfusionError):
    """A plugin failed to load (with --strict-plugins) or two operators share a name."""

    exit_code = 2


class StepFailed(ImgfusionError):
    """An operator raised while running; names the step and the operator.

    Always exit status 1, a ParameterError from the operator included: what the
    recipe could be checked for was checked before the run (exit 2 then).
    """

    exit_code = 1

    def __init__(self, step: str, op: str, cause: BaseException):
        field = getattr(cause, "field", None)
        if isinstance(cause, ParameterError):  # still exit 1: validation let it through
            msg = f"step {step} ({op}), field '{field}': {cause.message}"
        else:
            msg = f"step {step} ({op}) failed: {type(cause).__name__}: {cause}"
        super().__init__(msg)
        self.step, self.op, self.cause = step, op, cause


class UsageError(ImgfusionError):
    """A command-line mistake outside any recipe (an unknown operator name, say)."""

    exit_code = 2


def did_you_mean(name: str, options: Iterable[str]) -> str | None:
    """The closest of ``options`` to ``name``, for a "did you mean" hint, or None."""
    matches = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None
