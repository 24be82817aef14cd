"""From a :class:`~imgfusion.markers.Declared` (run time or source) to an Operator record.

One builder for both readers (:mod:`imgfusion.declare` at run time,
:mod:`imgfusion.static_decl` from source), so that the static and the runtime
declaration of an operator cannot differ by construction, only by what the two
readers see.  It stands on the two base floors, :mod:`imgfusion.markers` and
:mod:`imgfusion.records`, and imports neither reader.
"""
from __future__ import annotations

import dataclasses
import functools
import operator as _op
import types
import typing
from typing import Annotated, Any, Literal, Union

from .markers import (REQUIRED_MARK, Context, Declared, DeclarationError, Fields, Help, Kind,
                      Range, class_hints, is_options)
from .records import OUTPUT_KINDS, REQUIRED, Input, Operator, Output, Param
from .values import Video as VideoValue
from .renames import check_renames

# marker kind -> (record kind, many): the markers' names (images, value) are not the
# record's kinds (image + many, any), so this map cannot be the records' list
INPUT_KIND = {"image": ("image", False), "mask": ("mask", False), "images": ("image", True),
              "masks": ("mask", True), "video": ("video", False), "videos": ("video", True),
              "value": ("any", False)}
RETURN, RETURN_NAME = " return", " return name"   # keys no parameter can have


def build_operator(decl: Declared) -> Operator:
    """The engine's record of ``decl``; a :class:`DeclarationError` names what is wrong."""
    doc = parse_doc(decl.doc)
    inputs, params, context, groups = [], [], [], {}
    for name, positional, ann, default in decl.params:
        if ann is REQUIRED_MARK:
            raise DeclarationError(f"{decl.where(name)}: every parameter needs an annotation")
        if positional:
            inputs.append(make_input(decl, name, ann, default, doc))
        elif context_name(ann) is not None:
            context.append(check_context(decl, name, ann))
        elif is_options(strip(ann)):
            groups[name] = (options_target(decl, ann),
                            group_params(decl, name, ann, default, params))
        else:
            params.append(make_param(decl, name, ann, default, doc.get(name, "")))
    check_unique(decl, [i.name for i in inputs] + [p.name for p in params])
    settings = dict(decl.settings)
    name = settings.pop("name", decl.function)
    if "renamed" in settings:
        check_renames(name, settings["renamed"], [p.name for p in params])
    return Operator(name=name, func=decl.target, summary=summary(decl), inputs=inputs,
                    params=params, outputs=make_outputs(decl, doc), description=decl.doc,
                    context=context, traits=settings, groups=groups)


# -- annotations -----------------------------------------------------------------
def members(ann: Any) -> tuple[Any, ...]:
    """The members of a union (``X | None``), else ``(ann,)``."""
    if typing.get_origin(ann) in (Union, types.UnionType):
        return typing.get_args(ann)
    return (ann,)


def metadata(ann: Any) -> list[Any]:
    """Every ``Annotated`` marker on ``ann`` or on one of its union members."""
    found = []
    for m in members(ann):
        if typing.get_origin(m) is Annotated:
            found.extend(m.__metadata__)
        elif m is VideoValue:   # ``from imgfusion import Video``: the value class
            found.append(Kind("video"))
    return found


def strip(ann: Any) -> Any:
    """``ann`` without its ``Annotated`` markers (inside unions too)."""
    plain = [typing.get_args(m)[0] if typing.get_origin(m) is Annotated else m
             for m in members(ann)]
    return plain[0] if len(plain) == 1 else functools.reduce(_op.or_, plain)


def marker(ann: Any, kind: type) -> Any:
    return next((m for m in metadata(ann) if isinstance(m, kind)), None)


def shared_help(ann: Any) -> str:
    """The ``Help`` a shared type alias carries, else ''."""
    found = marker(ann, Help)
    return "" if found is None else found.text


def context_name(ann: Any) -> str | None:
    found = marker(ann, Context)
    return None if found is None else found.name


def summary(decl: Declared) -> str:
    first = decl.doc.strip().split("\n", 1)[0].strip()
    if not first:
        raise DeclarationError(f"{decl.where()}: the docstring's first line is the summary")
    return first


# -- docstrings ------------------------------------------------------------------
def parse_doc(doc: str) -> dict[str, str]:
    """``{name: help}`` from the numpydoc Parameters/Attributes/Returns sections.

    The help is the entry's description on one line; an entry written as
    ``name : text`` with no description below uses ``text``.  The Returns entry's
    help and name (the name of a single output) are under RETURN and RETURN_NAME.
    """
    import docstring_parser

    parsed = docstring_parser.parse(doc or "", docstring_parser.DocstringStyle.NUMPYDOC)
    found: dict[str, str] = {}
    for item in parsed.params:
        for name in item.arg_name.split(","):
            found[name.strip()] = one_line(item.description or item.type_name or "")
    returns = parsed.returns
    if returns is not None:
        found[RETURN] = one_line(returns.description or returns.type_name or "")
        found[RETURN_NAME] = returns.return_name or ""
    return found


def one_line(text: str) -> str:
    return " ".join(text.split())


# -- inputs, parameters, context --------------------------------------------------
def make_input(decl: Declared, name: str, ann: Any, default: Any, doc: dict) -> Input:
    kind = marker(ann, Kind)
    if kind is None or kind.name not in INPUT_KIND:
        raise DeclarationError(f"{decl.where(name)}: an input (before '*') is annotated "
                               "Image, Mask, Images, Masks, Video, Videos or Value")
    optional = type(None) in members(strip(ann))
    if optional and default is not None:
        raise DeclarationError(f"{decl.where(name)}: an optional input defaults to None")
    kind_name, many = INPUT_KIND[kind.name]
    return Input(name, kind_name, doc.get(name) or shared_help(ann), optional, many)


def make_param(decl: Declared, name: str, ann: Any, default: Any, help: str) -> Param:
    if marker(ann, Kind) is not None:
        raise DeclarationError(f"{decl.where(name)}: an image input goes before '*'")
    bounds = marker(ann, Range) or Range()
    base, choices = literal_choices(strip(ann))
    value = REQUIRED if default is REQUIRED_MARK else default
    return Param(name, base, value, help or shared_help(ann), bounds.lo, bounds.hi, choices)


def literal_choices(t: Any) -> tuple[Any, tuple | None]:
    """``Literal["a", "b"]`` -> (str, ("a", "b")); anything else -> (t, None)."""
    if typing.get_origin(t) is not Literal:
        return t, None
    choices = typing.get_args(t)
    kinds = {type(c) for c in choices}
    return (kinds.pop() if len(kinds) == 1 else t), choices


def check_context(decl: Declared, name: str, ann: Any) -> str:
    wanted = context_name(ann)
    if wanted != name:
        raise DeclarationError(f"{decl.where(name)}: the engine passes this context as "
                               f"'{wanted}'; name the parameter so")
    return name


def options_target(decl: Declared, ann: Any) -> Any:
    """The options class, or ``"module:Class"`` for a stand-in the source reader built."""
    cls = strip(ann)
    return getattr(cls, "__imgfusion_target__", cls)


def group_params(decl: Declared, name: str, ann: Any, instance: Any,
                 params: list) -> tuple[str, ...]:
    """The group's fields (those ``Fields`` names, else all) as flat parameters, each
    defaulting to the value the parameter's default instance holds
    (``StyleSchedule(iterations=200)`` -> 200)."""
    cls = strip(ann)
    hints = class_hints(cls)
    doc = parse_doc(cls.__doc__ or "")
    names = []
    for f in chosen_fields(decl, name, cls, marker(ann, Fields)):
        default = f.default if f.default is not dataclasses.MISSING else REQUIRED_MARK
        if dataclasses.is_dataclass(instance):
            default = getattr(instance, f.name)
        params.append(make_param(decl, f.name, hints[f.name], default, doc.get(f.name, "")))
        names.append(f.name)
    return tuple(names)


def chosen_fields(decl: Declared, name: str, cls: type, only: Fields | None) -> list:
    every = dataclasses.fields(cls)
    if only is None:
        return list(every)
    unknown = sorted(set(only.names) - {f.name for f in every})
    if unknown:
        raise DeclarationError(f"{decl.where(name)}: {cls.__name__} has no fields {unknown}")
    return [f for f in every if f.name in only.names]


def check_unique(decl: Declared, names: list[str]) -> None:
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DeclarationError(f"{decl.where()}: the names {dup} are declared twice "
                               "(an option group's field collides with a parameter)")


# -- outputs ---------------------------------------------------------------------
def make_outputs(decl: Declared, doc: dict) -> list[Output]:
    ret = decl.returns
    if ret is REQUIRED_MARK:
        raise DeclarationError(f"{decl.where()}: annotate the return (Image, Mask, Video, "
                               "Data or a NamedTuple of them)")
    if isinstance(ret, type) and issubclass(ret, tuple) and hasattr(ret, "_fields"):
        fields = parse_doc(ret.__doc__ or "")
        hints = class_hints(ret)
        return [Output(n, output_kind(decl, hints[n]), fields.get(n, "")) for n in ret._fields]
    kind = output_kind(decl, ret)
    return [Output(doc.get(RETURN_NAME) or kind, kind, doc.get(RETURN, ""))]


def output_kind(decl: Declared, ann: Any) -> str:
    kind = marker(ann, Kind)
    if kind is None or kind.name not in OUTPUT_KINDS:   # output markers name record kinds
        raise DeclarationError(f"{decl.where()}: an output is annotated Image, Mask, Video "
                               "or Data")
    return kind.name
