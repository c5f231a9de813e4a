"""Command lines built from options dataclasses, for the signaling server and the desktop agent.

A field with a `help` in its metadata is a flag (`--field-name`, or the metadata's `flag`); its type
hint gives the flag's type (bool: `--x/--no-x`; a tuple: a repeatable flag; an Enum: its values as the
choices), its default is the flag's default, and its environment variable is shown in the help. A field
made by `nested()` holds another options dataclass, whose flags join the same parser (in the `group`
it names). `option()` writes such metadata; ServerConfig's own `{"help": ...}` metadata reads the same.
"""

from __future__ import annotations

import argparse
import enum
import functools
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from signaling.config import ServerConfig, env_name, parse_value

SERVER_DESCRIPTION = (
    "dartcam signaling server: pairs a phone with the desktop agent and relays the WebRTC handshake "
    "over WebSocket (/ws) and REST (/cam/signal/{code}). Every option can also be set by its "
    "environment variable."
)
# ServerConfig fields whose flag is not the field's name (its metadata is config.py's, without `flag`).
SERVER_FLAGS = {"redis_url": "--redis", "allowed_origins": "--allowed-origin"}


def option(
    default: Any = MISSING,
    help: str = "",
    *,
    factory: Callable[[], Any] | None = None,
    flag: str | None = None,
    metavar: str | None = None,
    choices: tuple[str, ...] | None = None,
    group: str | None = None,
) -> Any:
    """A dataclass field that is a command-line flag (and an environment variable)."""
    meta = {"help": help, "flag": flag, "metavar": metavar, "choices": choices, "group": group}
    metadata = {k: v for k, v in meta.items() if v is not None}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def nested(
    cls: type, *, group: str | None = None, optional: bool = False, enable: str | None = None, help: str = ""
) -> Any:
    """A field holding another options dataclass, whose flags join the parser.

    `optional`: the field is None unless enabled, by the flag of its own field `enable` being given
    (e.g. `--dump DIR`), or else by a switch `--<enable>` whose help is `help`."""
    metadata = {"nested": cls, "group": group, "enable": enable, "help": help}
    if optional:
        return field(default=None, metadata=metadata)
    return field(default_factory=cls, metadata=metadata)


@dataclass(frozen=True)
class Flag:
    """One flag: where its value goes (`path` of field names from the root class) and how it reads."""

    path: tuple[str, ...]
    flag: str
    kind: Any  # bool, int, float, str, Path, an Enum class, or tuple (of str)
    default: Any
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    group: str | None = None
    switch: bool = False  # an enabling switch (store_true) of an optional nested field, not a field

    @property
    def dest(self) -> str:
        """The argparse destination."""
        return "__".join(self.path) + ("__enabled" if self.switch else "")

    @property
    def name(self) -> str:
        """The flag without its dashes, upper-cased with underscores: the tail of its environment name."""
        return self.flag.lstrip("-").replace("-", "_").upper()


def _kind(hint: Any) -> Any:
    """The flag type of a field's type hint (`X | None` is X's)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is tuple:
        return tuple
    return hint


def _default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


def walk(
    cls: type, renames: Mapping[str, str] | None = None, path: tuple[str, ...] = (), group: str | None = None
) -> Iterator[Flag]:
    """Every flag of the options dataclass `cls` and of the options it nests, in field order."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        meta = f.metadata
        here = (*path, f.name)
        if "nested" in meta:
            inner = meta["nested"]
            subgroup = meta.get("group") or group
            enable = meta.get("enable")
            if enable and enable not in {g.name for g in fields(inner)}:
                yield Flag(here, f"--{enable}", bool, False, meta["help"], group=subgroup, switch=True)
            yield from walk(inner, renames, here, subgroup)
        elif "help" in meta:
            flag = meta.get("flag") or (renames or {}).get(f.name) or "--" + f.name.replace("_", "-")
            kind = _kind(hints[f.name])
            choices = meta.get("choices")
            if choices is None and isinstance(kind, type) and issubclass(kind, enum.Enum):
                choices = tuple(str(m.value) for m in kind)
            yield Flag(
                here,
                flag,
                kind,
                _default(f),
                meta["help"],
                meta.get("metavar"),
                choices,
                meta.get("group") or group,
            )


def parse_text(raw: str, kind: Any) -> Any:
    """A flag's or environment variable's text as a value of `kind`; ValueError says what is wrong."""
    if kind is bool:
        return parse_value(raw, False)
    if kind in (int, float):
        return parse_value(raw, kind())
    if kind is tuple:
        return parse_value(raw, ())
    if kind is Path:
        return Path(raw)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(raw)
        except ValueError:
            raise ValueError(f"not one of {', '.join(str(m.value) for m in kind)}") from None
    return raw or None


def _flag_type(raw: str, kind: Any) -> Any:
    try:
        return parse_text(raw, kind)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{raw!r}: {exc}") from None


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and epilogs as written; every flag's help ends with its default (but a `--x/--no-x`
    whose default is None, decided at run time, which its help explains)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if isinstance(action, argparse.BooleanOptionalAction) and action.default is None:
            return action.help
        return super()._get_help_string(action)


def get_path(obj: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in nested options (None below an optional part that is None)."""
    for name in path:
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def add_flags(
    parser: argparse.ArgumentParser,
    flags: list[Flag],
    defaults: Any,
    env: Callable[[Flag], str] | None = None,
    groups: dict[str, argparse._ArgumentGroup] | None = None,
) -> None:
    """Adds `flags` to `parser` with their defaults taken from the options object `defaults`; `env`
    names each flag's environment variable in its help. `groups` (filled in as groups are made) lets
    several calls share the parser's groups."""
    made = groups if groups is not None else {}
    for spec in flags:
        if spec.group and spec.group not in made:
            made[spec.group] = parser.add_argument_group(spec.group)
        target = made[spec.group] if spec.group else parser
        text = spec.help + (f" [env {env(spec)}]" if env is not None else "")
        if spec.switch:
            # The switch of an optional part (`--calibrate`): on when the defaults have the part.
            enabled = get_path(defaults, spec.path) is not None
            target.add_argument(spec.flag, dest=spec.dest, action="store_true", default=enabled, help=text)
            continue
        default = get_path(defaults, spec.path)
        if get_path(defaults, spec.path[:-1]) is None:
            default = spec.default  # below an optional part that is off: the class's own default
        kwargs: dict[str, Any] = {
            "dest": spec.dest,
            "help": text,
            "metavar": spec.metavar or (None if spec.choices else spec.name),
        }
        if spec.kind is bool:
            # `--x/--no-x`; a flag that is itself a negation (`--no-qr`) only switches on.
            negation = spec.flag.startswith("--no-")
            kwargs["action"] = "store_true" if negation else argparse.BooleanOptionalAction
            kwargs.pop("metavar")
        elif spec.kind is tuple:
            kwargs["action"] = _Repeatable
        else:
            kwargs.update(type=functools.partial(_flag_type, kind=spec.kind), choices=_typed_choices(spec))
        target.add_argument(spec.flag, default=default, **kwargs)


class _Repeatable(argparse.Action):
    """A repeatable flag whose value is a tuple: its first use replaces the default, later ones add."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        current = getattr(namespace, self.dest)
        setattr(namespace, self.dest, (*(() if current is self.default else current), values))


def _typed_choices(spec: Flag) -> list[Any] | None:
    if spec.choices is None:
        return None
    return [parse_text(choice, spec.kind) for choice in spec.choices]


def with_env(defaults: Any, flags: list[Flag], env: Callable[[Flag], str], environ: Mapping[str, str]) -> Any:
    """A copy of the options object `defaults` with the values its flags' environment variables set
    (a switch's variable enables its optional part). ValueError names the bad variable."""
    values = {}
    for spec in flags:
        raw = environ.get(env(spec))
        if raw is None:
            continue
        try:
            values[spec.dest] = parse_text(raw, bool if spec.switch else spec.kind)
        except ValueError as exc:
            raise ValueError(f"{env(spec)}={raw!r}: {exc}") from None
    if not values:
        return defaults
    return build(type(defaults), flags, {spec.dest: _current(defaults, spec) for spec in flags} | values)


def _current(defaults: Any, spec: Flag) -> Any:
    if spec.switch:
        return get_path(defaults, spec.path) is not None
    if get_path(defaults, spec.path[:-1]) is None:
        return spec.default
    return get_path(defaults, spec.path)


def build(cls: type, flags: list[Flag], values: Mapping[str, Any], path: tuple[str, ...] = ()) -> Any:
    """The options object of class `cls` from parsed values (argparse's, keyed by `Flag.dest`).

    Fields that are not flags keep their class defaults. Its classes check the values themselves
    (ValueError). An optional nested part is made even when it is off, so a bad value of it is an error
    anyway, and is then left out (None)."""
    by_path = {spec.path: spec for spec in flags if not spec.switch}
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        here = (*path, f.name)
        if "nested" in f.metadata:
            inner = f.metadata["nested"]
            enable = f.metadata.get("enable")
            part = build(inner, flags, _placeholder(inner, enable, values, here), here)
            optional = f.default is None
            if optional and not _enabled(inner, enable, values, here):
                part = None
            kwargs[f.name] = part
        elif here in by_path:
            kwargs[f.name] = values[by_path[here].dest]
    return cls(**kwargs)


def _enabled(inner: type, enable: str | None, values: Mapping[str, Any], here: tuple[str, ...]) -> bool:
    if enable in {f.name for f in fields(inner)}:
        return values["__".join((*here, enable))] is not None
    return bool(values.get("__".join(here) + "__enabled"))


def _placeholder(
    inner: type, enable: str | None, values: Mapping[str, Any], here: tuple[str, ...]
) -> Mapping[str, Any]:
    """The values, with an empty stand-in for an enabling field that was not given (so the part can
    still be made and checked)."""
    if enable not in {f.name for f in fields(inner)}:
        return values
    dest = "__".join((*here, enable))
    if values[dest] is not None:
        return values
    kind = _kind(typing.get_type_hints(inner)[enable])
    return {**values, dest: kind()}


def env_variable(prefix: str) -> Callable[[Flag], str]:
    """Names a flag's environment variable `prefix` + the flag's name (`--give-up` -> PREFIX_GIVE_UP)."""
    return lambda spec: prefix + spec.name


# -- the signaling server ---------------------------------------------------------------------------


def _server_env(spec: Flag) -> str:
    return env_name(spec.path[-1])


def server_flags() -> list[Flag]:
    """The server's flags: one per ServerConfig field."""
    return list(walk(ServerConfig, SERVER_FLAGS))


def build_parser(defaults: ServerConfig) -> argparse.ArgumentParser:
    """An argument parser whose flags and help come from ServerConfig."""
    parser = argparse.ArgumentParser(
        prog="dartcam-signaling", description=SERVER_DESCRIPTION, formatter_class=HelpFormatter
    )
    add_flags(parser, server_flags(), defaults, _server_env)
    return parser


def parse_config(argv: list[str] | None = None) -> ServerConfig:
    """ServerConfig from the environment (ServerConfig.with_env: it knows REDIS_URL too), overridden
    by the command line."""
    try:
        defaults = ServerConfig().with_env()
    except ValueError as exc:
        build_parser(ServerConfig()).error(str(exc))
    args = build_parser(defaults).parse_args(argv)
    return build(ServerConfig, server_flags(), vars(args))
