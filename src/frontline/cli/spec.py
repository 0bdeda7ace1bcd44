"""How a step of the ``frontline`` command is declared, and the argparse parser made from it.

A :class:`Command` names a step, its handler, its help, an example and its arguments; a
:class:`Group` gathers steps with actions of their own (``frontline articles check``).
:func:`parser` turns the table of steps (``frontline.cli.commands``) into the parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from frontline.core.paths import Project

Handler = Callable[[Project, argparse.Namespace], int]


@dataclass(frozen=True)
class Arg:
    """One argument: its flags (or positional name) and the keywords of ``add_argument``."""

    flags: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """Declare this argument on ``parser``."""
        parser.add_argument(*self.flags, **self.options)


def arg(*flags: str, **options: Any) -> Arg:
    """An :class:`Arg`, written as a call of ``add_argument`` would be.

    >>> arg("--check", action="store_true").flags
    ('--check',)
    """
    return Arg(flags, MappingProxyType(options))


@dataclass(frozen=True)
class Command:
    """A step: ``frontline NAME`` (or ``frontline GROUP NAME``) runs ``handler``.

    ``help`` is the line in the list of steps and, unless ``description`` is given, the text
    of ``--help``; ``example`` is shown under it.
    """

    name: str
    handler: Handler
    help: str
    example: str
    args: tuple[Arg, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Group:
    """A step with actions of its own: ``frontline NAME ACTION``."""

    name: str
    help: str
    commands: tuple[Command, ...]


def positive(value: str) -> int:
    """An argparse type: a whole number of at least 1.

    >>> positive("3")
    3
    """
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return int(value)


def _add_command(actions: argparse._SubParsersAction, command: Command) -> None:
    """Declare ``command`` (help, example, arguments, handler) among ``actions``."""
    parser = actions.add_parser(
        command.name,
        help=command.help,
        description=command.description or command.help,
        epilog=f"example:\n  {command.example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for argument in command.args:
        argument.add_to(parser)
    parser.set_defaults(handler=command.handler)


def _add_group(steps: argparse._SubParsersAction, group: Group) -> None:
    """Declare ``group`` and its actions (``frontline articles check``)."""
    help_ = group.help
    parser = steps.add_parser(
        group.name, help=help_, description=help_[0].upper() + help_[1:] + "."
    )
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    for command in group.commands:
        _add_command(actions, command)


def parser(
    prog: str,
    description: str,
    example: str,
    options: tuple[Arg, ...],
    steps: tuple[Command | Group, ...],
) -> argparse.ArgumentParser:
    """The parser of ``prog``: its global ``options``, then one subcommand per step."""
    top = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for option in options:
        option.add_to(top)
    actions = top.add_subparsers(title="steps", metavar="STEP", required=True)
    for step in steps:
        if isinstance(step, Group):
            _add_group(actions, step)
        else:
            _add_command(actions, step)
    return top
