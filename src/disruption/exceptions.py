"""Every error the library raises, under one root.

The tree::

    DisruptionError
    ├── CommandError                  a command was refused; carries case, command, state
    │   ├── UnknownCommand            the definition has no such command
    │   ├── CommandNotAllowed         the command does not act in the case's state
    │   ├── InvalidData (ValueError)  a field is missing or invalid; carries ``field``
    │   │   ├── UnknownCode           not a code of that SSDA903 list (in that year)
    │   │   ├── DateOutOfOrder        a date before or after the one it must follow
    │   │   └── DateOutOfRange        a date outside its plausible range (before 1900, a
    │   │                             step after it was entered, a placement too old)
    │   ├── PermissionRefused         the actor's role may not issue the command
    │   │   └── ActorMismatch         a request's actor is not its token's; carries ``claimed``
    │   ├── ChairNotIndependent       the chair is not independent of the case; carries
    │   │                             ``chair`` and ``reason``
    │   ├── EndingNotReady            a planned ending lacks what Regulation 14 requires
    │   │                             before it; carries ``missing``
    │   ├── UnknownCase               no case with that reference
    │   ├── DuplicateCase             a case with that reference exists already
    │   └── ConcurrencyError          the case changed since it was read
    │       ├── DuplicateCommand      the command's id is stored already; carries ``command_ids``
    │       └── VersionMismatch       the case is not at the version a request named (If-Match)
    ├── InputError (ValueError)       a line of a command file cannot be read; carries ``line``
    │   └── UnsupportedContractVersion
    │                                 a ``contract_version`` this library does not read;
    │                                 carries ``version``, ``supported``
    ├── FileUnreadable                an SSDA903 file cannot be read at all; carries ``file``
    ├── ReturnYearError               SSDA903 files cannot be told apart by return year;
    │   │                             carries ``files``, ``table``, ``year``
    │   ├── ReturnYearUnknown         a file's return year cannot be told
    │   └── ReturnYearClash           two files claim the same year and table
    ├── DefinitionError               a procedure definition is invalid; carries ``problems``
    ├── UnknownProcedure (LookupError) the engine was not given the case's definition version
    ├── OutputExists                  the command line would overwrite a file; carries ``file``
    ├── NotAuthenticated              a request's bearer token is missing or invalid; carries
    │                                 ``reason``
    ├── ServiceConfigError            the service cannot start as configured; carries ``option``
    └── StoreError                    the store cannot be opened or used
        ├── SchemaError               the store's schema is missing, foreign or newer
        └── UnsupportedDatabase       a database URL of another scheme; carries ``scheme``

Errors carry data as attributes, not only text, so that integrations can act on them:

>>> from disruption.exceptions import InvalidData
>>> err = InvalidData("must be a date", field="end", case="P-1", command="end_placement")
>>> (err.field, err.case, err.command, str(err))
('end', 'P-1', 'end_placement', 'end: must be a date')
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ActorMismatch",
    "ChairNotIndependent",
    "CommandError",
    "CommandNotAllowed",
    "ConcurrencyError",
    "DateOutOfOrder",
    "DateOutOfRange",
    "DefinitionError",
    "DisruptionError",
    "DuplicateCase",
    "DuplicateCommand",
    "EndingNotReady",
    "FileUnreadable",
    "InputError",
    "InvalidData",
    "NotAuthenticated",
    "OutputExists",
    "PermissionRefused",
    "ReturnYearClash",
    "ReturnYearError",
    "ReturnYearUnknown",
    "SchemaError",
    "ServiceConfigError",
    "StoreError",
    "UnknownCase",
    "UnknownCode",
    "UnknownCommand",
    "UnknownProcedure",
    "UnsupportedContractVersion",
    "UnsupportedDatabase",
    "VersionMismatch",
]


def _cut(text: str, most: int = 200) -> str:
    """``text`` cut to ``most`` characters, ending ``...(N)`` with its full length when cut.

    As :func:`disruption.domain.commands.shown`, for the errors that repeat a value given.
    """
    if len(text) <= most:
        return text
    tail = f"...({len(text)})"
    return text[: most - len(tail)] + tail


class DisruptionError(Exception):
    """Root of every error raised by ``disruption``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CommandError(DisruptionError):
    """A command was refused; nothing was written.

    Attributes:
        case: The case reference the command addressed, when known.
        command: The command's name, when known.
        state: The case's state when the command was refused (``None`` for a new case).
    """

    def __init__(
        self,
        message: str,
        *,
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message)
        self.case = case
        self.command = command
        self.state = state

    def in_context(self, *, case: str, command: str, state: str | None) -> CommandError:
        """Fill in :attr:`case`, :attr:`command` and :attr:`state` where the raiser left them out.

        Returns:
            This same error, for ``raise err.in_context(...)``.
        """
        self.case = self.case if self.case is not None else case
        self.command = self.command if self.command is not None else command
        self.state = self.state if self.state is not None else state
        return self


class UnknownCommand(CommandError):
    """The procedure definition has no command of that name."""


class CommandNotAllowed(CommandError):
    """The command exists but does not act in the case's current state."""


class InvalidData(CommandError, ValueError):
    """A field of a command is missing or invalid.

    Attributes:
        field: Dotted path of the offending field, for example ``placement.start``.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str,
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}", case=case, command=command, state=state)
        self.field = field
        self.reason = message


class UnknownCode(InvalidData):
    """A value is not a code of its SSDA903 list, or not valid in that collection year.

    Attributes:
        code: The value given.
        code_list: The list's name, for example ``PLACE``.
        year: The collection year checked against (year ending 31 March), or ``None``.
    """

    def __init__(
        self,
        code: str,
        code_list: str,
        *,
        field: str,
        year: int | None = None,
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        when = f" in collection year {year - 1}-{year % 100:02d}" if year is not None else ""
        super().__init__(
            f"{_cut(repr(code))} is not a {code_list} code{when}",
            field=field,
            case=case,
            command=command,
            state=state,
        )
        self.code = code
        self.code_list = code_list
        self.year = year


class DateOutOfOrder(InvalidData):
    """A date is before (or after) the date it must follow (or precede)."""


class DateOutOfRange(InvalidData):
    """A date is outside its plausible range.

    Before 1900, far in the future, a step dated after it was entered (beyond the clock
    tolerance), or a placement that started too long before the step.
    """


class PermissionRefused(CommandError):
    """The actor's role may not issue this command (in this state).

    Attributes:
        role: The role that was refused.
    """

    def __init__(
        self,
        message: str,
        *,
        role: str,
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message, case=case, command=command, state=state)
        self.role = role


class ChairNotIndependent(CommandError):
    """The proposed chair is not independent of the case.

    They acted on it as its social worker, are the line manager of someone who did, or (in
    the adoption procedure) belong to the adoption service.

    Attributes:
        chair: The chair's actor id.
        reason: Why: ``social_worker``, ``line_manager`` or ``adoption_service``.
    """

    def __init__(
        self,
        message: str,
        *,
        chair: str,
        reason: str = "social_worker",
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message, case=case, command=command, state=state)
        self.chair = chair
        self.reason = reason


class EndingNotReady(CommandError):
    """A planned ending was refused: steps required before it are missing.

    Attributes:
        missing: What is missing, in order: ``iro_informed`` (the IRO has not been
            informed), ``case_reviewed`` (the child's case has not been reviewed, and no
            manager recorded an immediate risk), both Regulation 14's; or
            ``sibling_decision`` (no decision about the linked siblings is recorded).
    """

    def __init__(
        self,
        message: str,
        *,
        missing: Sequence[str],
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message, case=case, command=command, state=state)
        self.missing = tuple(missing)


class UnknownCase(CommandError):
    """No case with that reference exists."""


class DuplicateCase(CommandError):
    """A case with that reference exists already."""


class ConcurrencyError(CommandError):
    """The case was changed by another writer since it was read; nothing was written.

    Attributes:
        expected: The version the write was based on.
        actual: The version found in the store, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        expected: int,
        actual: int | None = None,
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message, case=case, command=command, state=state)
        self.expected = expected
        self.actual = actual


class DuplicateCommand(ConcurrencyError):
    """A command id among the events is stored already: the command was applied before.

    A store's ``append`` raises it, and writes nothing, when another delivery of the same
    command committed first; :meth:`disruption.Engine.handle` answers such a command with
    its original outcome, marked duplicate.

    Attributes:
        command_ids: The command ids of the events refused.
    """

    def __init__(
        self,
        command_ids: Sequence[str],
        *,
        expected: int,
        actual: int | None = None,
        case: str | None = None,
    ) -> None:
        ids = ", ".join(command_ids)
        super().__init__(
            f"command {ids} was applied already", expected=expected, actual=actual, case=case
        )
        self.command_ids = tuple(command_ids)


class InputError(DisruptionError, ValueError):
    """A line of command input cannot be read as a command.

    Attributes:
        line: 1-based line number in the input, when known.
        field: The offending field, when known.
    """

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{message}")
        self.line = line
        self.field = field


class UnsupportedContractVersion(InputError):
    """A command names a version of the JSON command contract this library does not read.

    Raised before any other field is read: a line written to another version of the
    contract may have fields this one does not know. ``field`` is ``contract_version``.

    Attributes:
        version: The value given (any JSON value).
        supported: The versions this library reads.
    """

    def __init__(
        self, version: object, supported: Sequence[int], *, line: int | None = None
    ) -> None:
        versions = ", ".join(str(v) for v in supported)
        super().__init__(
            f"contract_version: {_cut(repr(version))} is not a version of the command contract "
            f"this library reads (supported: {versions})",
            line=line,
            field="contract_version",
        )
        self.version = version
        self.supported = tuple(supported)


class FileUnreadable(DisruptionError):
    """An SSDA903 file cannot be read at all: missing, not CSV, or without a CHILD column.

    Attributes:
        file: The file (or folder) concerned.
        reason: Why it cannot be read.
    """

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: cannot be read: {reason}")
        self.file = file
        self.reason = reason


class ReturnYearError(DisruptionError):
    """SSDA903 files cannot be told apart by the return (collection year) they belong to.

    Attributes:
        files: The files concerned, as given or found.
        table: ``"Episodes"`` or ``"Header"``.
        year: The return claimed, by the 31 March it ends on; ``None`` when it cannot be told.
    """

    def __init__(self, message: str, *, files: Sequence[str], table: str, year: int | None) -> None:
        super().__init__(message)
        self.files = tuple(files)
        self.table = table
        self.year = year


class ReturnYearUnknown(ReturnYearError):
    """The return year of a file cannot be told, from its dates or its name.

    Attributes:
        reason: Why the dates do not tell it.
    """

    def __init__(self, file: str, table: str, reason: str) -> None:
        super().__init__(
            f"{file}: cannot tell which year's return this {table} file is ({reason}); "
            "put the year in its name or its folder's name (2019-20, or 2020 for the year "
            "ending 31 March 2020)",
            files=(file,),
            table=table,
            year=None,
        )
        self.reason = reason


class ReturnYearClash(ReturnYearError):
    """Two different files claim to be the same table of the same return.

    Attributes:
        how: How each file's year was found, in the order of ``files``.
    """

    def __init__(self, files: Sequence[str], table: str, year: int, how: Sequence[str]) -> None:
        named = " and ".join(f"{f} ({h})" for f, h in zip(files, how, strict=True))
        super().__init__(
            f"{named} are both the {table} of the return for {year - 1}-{year % 100:02d} "
            f"(year ending 31 March {year}); give only one of them",
            files=files,
            table=table,
            year=year,
        )
        self.how = tuple(how)


class DefinitionError(DisruptionError):
    """A procedure definition is invalid.

    Attributes:
        problems: Every problem found, one sentence each.
    """

    def __init__(self, name: str, problems: Sequence[str]) -> None:
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"procedure {name!r} is invalid:\n{listed}")
        self.problems = tuple(problems)


class UnknownProcedure(DisruptionError, LookupError):
    """A case was opened under a definition (name and version) the engine was not given.

    Attributes:
        name: The definition's name.
        version: Its version.
    """

    def __init__(self, name: str, version: int) -> None:
        super().__init__(
            f"the case was opened under procedure {name!r} version {version}, which this "
            "engine was not given (pass that definition, for example --procedure FILE)"
        )
        self.name = name
        self.version = version


class StoreError(DisruptionError):
    """The case store cannot be opened or used."""


class SchemaError(StoreError):
    """The store's schema is missing, not a ``disruption`` store, or newer than this library."""


class UnsupportedDatabase(StoreError):
    """A database URL names a database (a scheme) that no store of this library runs on.

    Attributes:
        scheme: The URL's scheme (before ``://``), lower case, at most 40 characters.
        supported: The schemes that are supported.
    """

    def __init__(self, scheme: str, supported: Sequence[str]) -> None:
        shown = scheme if len(scheme) <= 40 else scheme[:40] + "..."
        super().__init__(
            f"{shown!r} is not a supported database: give a SQLite file path or a URL of "
            f"scheme {', '.join(supported)}"
        )
        self.scheme = shown
        self.supported = tuple(supported)


class OutputExists(DisruptionError):
    """A command would write a file (or into a folder) that exists already; nothing was written.

    Attributes:
        file: The file or folder.
    """

    def __init__(self, file: str) -> None:
        super().__init__(f"{file} exists already: nothing was written (--force replaces it)")
        self.file = file


class ActorMismatch(PermissionRefused):
    """A request to the service named an actor other than the one its token authenticated.

    The actor of a command sent over HTTP is the token's; a body that names another is
    refused (and written to the store's access log).

    Attributes:
        actor: The token's actor id.
        claimed: The actor the body named, as ``{"id": ..., "role": ...}`` (cut to
            references), or ``None`` when it was not such an object.
    """

    def __init__(
        self,
        message: str,
        *,
        actor: str,
        role: str,
        claimed: dict[str, str] | None,
        case: str | None = None,
        command: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message, role=role, case=case, command=command, state=state)
        self.actor = actor
        self.claimed = claimed


class VersionMismatch(ConcurrencyError):
    """The case is not at the version a request was made against (HTTP ``If-Match``).

    Nothing was written: the caller read the case at ``expected`` and it is now at ``actual``.
    """


class NotAuthenticated(DisruptionError):
    """A request to the service carried no bearer token, or one that is not valid.

    Attributes:
        reason: Why, in a few words (``no bearer token``, ``expired``, ``wrong audience``...);
            never the token itself.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"not authenticated: {reason}")
        self.reason = reason


class ServiceConfigError(DisruptionError):
    """The service cannot start as configured; nothing was started.

    Attributes:
        option: The command-line option at fault, for example ``--dev-tokens``.
    """

    def __init__(self, message: str, *, option: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
