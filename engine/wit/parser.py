"""WIT text -> syntax tree (engine/wit/ast.py), with a precise error for any bad input.

The LALR parser is built once per process, lazily, with an inline transformer (AST nodes are
made while parsing: no parse tree, no recursion, so deep nesting cannot overflow the stack).
The built parser may be cached on disk (engine/wit/grammar_cache.py) in a user-owned folder.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from lark import Transformer

from engine.safe_read import ReadError, read_bounded
from engine.wit import ast
from engine.wit.comments import UnterminatedComment, scan
from engine.wit.errors import Problem, WitError, wit_io_error

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")
MAX_TYPE_DEPTH = 64  # nesting of list/option/result/... deeper than this is refused
MAX_FILE_BYTES = 4 * 1024 * 1024  # one .wit file; real ones are a few KiB

KEYWORDS = frozenset(
    {
        "as",
        "async",
        "bool",
        "borrow",
        "char",
        "constructor",
        "enum",
        "error-context",
        "export",
        "f32",
        "f64",
        "flags",
        "from",
        "func",
        "future",
        "import",
        "include",
        "interface",
        "list",
        "map",
        "option",
        "own",
        "package",
        "record",
        "resource",
        "result",
        "s8",
        "s16",
        "s32",
        "s64",
        "static",
        "stream",
        "string",
        "tuple",
        "type",
        "u8",
        "u16",
        "u32",
        "u64",
        "use",
        "variant",
        "with",
        "world",
    }
)
GATE_KEYS = {"since": "version", "unstable": "feature", "deprecated": "version"}

_SEMVER_RE = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\Z"
)

_lock = threading.Lock()
_parser: Any = None


def _pos(tok: Any) -> ast.Pos:
    return ast.Pos(tok.line, tok.column, tok.start_pos)


def _problem(message: str, tok: Any) -> Problem:
    return Problem(message, tok.line, tok.column)


_IDENT_RE = re.compile(r"(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)(?:-(?:[a-z0-9]+|[A-Z0-9]+))*")


def identifier_error(name: str) -> str | None:
    """Why `name` (without `%`) is not a WIT identifier, or None when it is one."""
    if _IDENT_RE.fullmatch(name):
        return None
    for index, part in enumerate(name.split("-")):
        if not part:
            return f"identifier `{name}` has an empty word (leading, trailing or double `-`)"
        if index == 0 and not (part[0].isascii() and part[0].isalpha()):
            return f"identifier `{name}` must start with a letter"
        letters = [c for c in part if c.isalpha()]
        if not (all(c.islower() for c in letters) or all(c.isupper() for c in letters)):
            return f"identifier `{name}`: each word must be all lowercase or all UPPERCASE"
    return None


def _ident(tok: Any) -> ast.Ident:
    text = str(tok)
    escaped = text.startswith("%")
    name = text[1:] if escaped else text
    if not escaped and name in KEYWORDS:
        raise _problem(f"`{name}` is a keyword; write `%{name}` to use it as a name", tok)
    reason = identifier_error(name)
    if reason:
        raise _problem(reason, tok)
    return ast.Ident(name, _pos(tok))


def _version(tok: Any) -> str:
    text = str(tok)
    if not _SEMVER_RE.match(text):
        raise _problem(f"`{text[:64]}` is not a valid semver version", tok)
    return text


def _depth(tok: Any, *children: Any) -> int:
    """Nesting depth of a type built around `children` (checked here, while parsing, so
    later recursive walks over types stay shallow)."""
    depth = 1 + max((getattr(c, "depth", 1) for c in children if c is not None), default=0)
    if depth > MAX_TYPE_DEPTH:
        raise _problem(f"types are nested too deeply (more than {MAX_TYPE_DEPTH} levels)", tok)
    return depth


def _with_gates(node: Any, gates: tuple) -> Any:
    if not gates:
        return node
    return replace(node, gates=gates, start=min(gates[0].pos.offset, node.start))


class Builder(Transformer):
    """Callbacks run at each LALR reduction; they return ast nodes."""

    # ---- packages and paths
    def package_name(self, ch):
        ver = _version(ch[2]) if len(ch) > 2 else None
        return ast.PackageName(_ident(ch[0]), _ident(ch[1]), ver, _pos(ch[0]))

    def package_decl(self, ch):
        return ch[1]

    def local_path(self, ch):
        return ast.UsePath(None, _ident(ch[0]))

    def foreign_path(self, ch):
        ver = _version(ch[3]) if len(ch) > 3 else None
        pkg = ast.PackageName(_ident(ch[0]), _ident(ch[1]), ver, _pos(ch[0]))
        return ast.UsePath(pkg, _ident(ch[2]))

    def start(self, ch):
        return ch

    def nested_package(self, ch):
        return ast.NestedPackage(ch[1], tuple(ch[2:]), ch[0].start_pos)

    def toplevel_item(self, ch):
        return _with_gates(ch[1], ch[0])

    # ---- gates
    def gates(self, ch):
        return tuple(ch)

    def gate_arg(self, ch):
        return (ch[0], ch[1])

    def gate(self, ch):
        at, name, args = ch[0], str(ch[1]), ch[2:]
        if name not in GATE_KEYS:
            raise _problem(f"unknown gate `@{name[:40]}`; expected @since, @unstable or @deprecated", at)
        want = GATE_KEYS[name]
        if len(args) != 1 or str(args[0][0]) != want:
            raise _problem(f"`@{name}` takes exactly one argument, `{want} = ...`", at)
        value = args[0][1]
        if want == "version":
            if value.type != "VERSION":
                raise _problem(f"`@{name}(version = ...)` needs a semver version", value)
            text = _version(value)
        else:
            if value.type != "ID":
                raise _problem("`@unstable(feature = ...)` needs a feature name", value)
            text = _ident(value).name
        return ast.Gate(name, text, _pos(at))

    # ---- interfaces and worlds
    def interface(self, ch):
        return ast.Interface(_ident(ch[1]), tuple(ch[2:]), (), ch[0].start_pos)

    def world(self, ch):
        return ast.World(_ident(ch[1]), tuple(ch[2:]), (), ch[0].start_pos)

    def toplevel_use(self, ch):
        alias = _ident(ch[3]) if len(ch) > 3 else None
        return ast.TopUse(ch[1], alias, (), ch[0].start_pos)

    def interface_item(self, ch):
        return _with_gates(ch[1], ch[0])

    world_item = interface_item

    def use_item(self, ch):
        return ast.UseItem(ch[1], tuple(ch[2:]), (), ch[0].start_pos)

    def use_name(self, ch):
        return (_ident(ch[0]), _ident(ch[2]) if len(ch) > 2 else None)

    # ---- functions
    def func_item(self, ch):
        return ast.FuncItem(_ident(ch[0]), ch[1], (), ch[0].start_pos)

    def func_type(self, ch):
        is_async = ch[0].type == "ASYNC"
        rest = ch[2:] if is_async else ch[1:]
        result = rest[1] if len(rest) > 1 else None
        return ast.Func(rest[0], result, is_async, _pos(ch[0]))

    def params(self, ch):
        return tuple(ch)

    def param(self, ch):
        return (_ident(ch[0]), ch[1])

    def result(self, ch):
        return ch[0]

    # ---- type definitions
    def type_alias(self, ch):
        return ast.TypeDef("alias", _ident(ch[1]), ch[2], (), ch[0].start_pos)

    def record(self, ch):
        return ast.TypeDef("record", _ident(ch[1]), tuple(ch[2:]), (), ch[0].start_pos)

    def field(self, ch):
        return ast.Field(_ident(ch[0]), ch[1], ch[0].start_pos)

    def variant(self, ch):
        return ast.TypeDef("variant", _ident(ch[1]), tuple(ch[2:]), (), ch[0].start_pos)

    def case(self, ch):
        return ast.Case(_ident(ch[0]), ch[1] if len(ch) > 1 else None, ch[0].start_pos)

    def enum(self, ch):
        cases = tuple(ast.Case(_ident(t), None, t.start_pos) for t in ch[2:])
        return ast.TypeDef("enum", _ident(ch[1]), cases, (), ch[0].start_pos)

    def flags(self, ch):
        cases = tuple(ast.Case(_ident(t), None, t.start_pos) for t in ch[2:])
        return ast.TypeDef("flags", _ident(ch[1]), cases, (), ch[0].start_pos)

    def resource(self, ch):
        return ast.TypeDef("resource", _ident(ch[1]), tuple(ch[2:]), (), ch[0].start_pos)

    def resource_item(self, ch):
        return _with_gates(ch[1], ch[0])

    def constructor(self, ch):
        if ch[0].type == "ASYNC":
            raise _problem("a constructor cannot be `async`", ch[0])
        tok = ch[0]
        func = ast.Func(ch[1], ch[2] if len(ch) > 2 else None, False, _pos(tok))
        return ast.ResourceFunc("constructor", ast.Ident("constructor", _pos(tok)), func, (), tok.start_pos)

    def method(self, ch):
        return ast.ResourceFunc("method", _ident(ch[0]), ch[1], (), ch[0].start_pos)

    def static_method(self, ch):
        return ast.ResourceFunc("static", _ident(ch[0]), ch[2], (), ch[0].start_pos)

    # ---- world items
    def import_item(self, ch):
        return replace(ch[1], direction="import", start=ch[0].start_pos)

    def export_item(self, ch):
        return replace(ch[1], direction="export", start=ch[0].start_pos)

    def extern_func(self, ch):
        name = _ident(ch[0])
        return ast.Extern("", "func", name, ch[1], (), None, (), 0, name.pos)

    def extern_inline(self, ch):
        name = _ident(ch[0])
        return ast.Extern("", "inline", name, None, tuple(ch[2:]), None, (), 0, name.pos)

    def extern_named_path(self, ch):
        name = _ident(ch[0])
        return ast.Extern("", "path", name, None, (), ch[1], (), 0, name.pos)

    def extern_path(self, ch):
        return ast.Extern("", "path", None, None, (), ch[0], (), 0, ch[0].pos)

    def include_item(self, ch):
        return ast.Include(ch[1], tuple(ch[3:]), (), ch[0].start_pos)

    def include_name(self, ch):
        return (_ident(ch[0]), _ident(ch[2]))

    # ---- types
    def prim(self, ch):
        return ast.TPrim(str(ch[0]), _pos(ch[0]))

    def named_type(self, ch):
        return ast.TNamed(_ident(ch[0]))

    def list_type(self, ch):
        return ast.TList(ch[1], None, _pos(ch[0]), _depth(ch[0], ch[1]))

    def fixed_list_type(self, ch):
        size_tok = ch[2]
        size = int(str(size_tok)[:12])
        if size <= 0 or size > 0xFFFFFFFF:
            raise _problem("fixed-size list length must be between 1 and 4294967295", size_tok)
        return ast.TList(ch[1], size, _pos(ch[0]), _depth(ch[0], ch[1]))

    def option_type(self, ch):
        return ast.TOption(ch[1], _pos(ch[0]), _depth(ch[0], ch[1]))

    def result_empty(self, ch):
        return ast.TResult(None, None, _pos(ch[0]))

    def result_ok(self, ch):
        return ast.TResult(ch[1], None, _pos(ch[0]), _depth(ch[0], ch[1]))

    def result_err(self, ch):
        return ast.TResult(None, ch[2], _pos(ch[0]), _depth(ch[0], ch[2]))

    def result_both(self, ch):
        return ast.TResult(ch[1], ch[2], _pos(ch[0]), _depth(ch[0], ch[1], ch[2]))

    def tuple_type(self, ch):
        items = tuple(ch[1:])
        return ast.TTuple(items, _pos(ch[0]), _depth(ch[0], *items))

    def future_type(self, ch):
        elem = ch[1] if len(ch) > 1 else None
        return ast.TFuture(elem, _pos(ch[0]), _depth(ch[0], elem))

    def stream_type(self, ch):
        elem = ch[1] if len(ch) > 1 else None
        return ast.TStream(elem, _pos(ch[0]), _depth(ch[0], elem))

    def own_type(self, ch):
        return ast.THandle("own", _ident(ch[1]), _pos(ch[0]))

    def borrow_type(self, ch):
        return ast.THandle("borrow", _ident(ch[1]), _pos(ch[0]))

    def map_type(self, ch):
        return ast.TMap(ch[1], ch[2], _pos(ch[0]), _depth(ch[0], ch[1], ch[2]))


def get_parser() -> Any:
    """The process-wide LALR parser (built, or loaded from the disk cache, on first use)."""
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                from engine.wit.grammar_cache import load_or_build

                _parser = load_or_build(GRAMMAR_PATH.read_text(encoding="utf-8"), Builder())
    return _parser


_TERMINAL_NAMES = {
    "ID": "a name",
    "VERSION": "a version",
    "INT": "a number",
    "PRIM": "a type",
    "AT": "`@`",
    "UNDERSCORE": "`_`",
    "$END": "end of file",
}
_PUNCT = {
    "SEMICOLON": ";",
    "COLON": ":",
    "COMMA": ",",
    "DOT": ".",
    "LBRACE": "{",
    "RBRACE": "}",
    "LPAR": "(",
    "RPAR": ")",
    "LESSTHAN": "<",
    "MORETHAN": ">",
    "EQUAL": "=",
    "SLASH": "/",
    "__ANON_0": "->",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[name]
    if name in _PUNCT:
        return f"`{_PUNCT[name]}`"
    if name.isupper() and name.isalpha():
        return f"`{name.lower()}`"
    return f"`{name.lower().replace('_', '-')}`"


class _Word(str):
    """The word before an unexpected token, with the position attributes `_problem` reads."""

    line: int
    column: int


def _previous_word(source: str, offset: int | None) -> _Word | None:
    if offset is None:
        return None
    end = len(source[:offset].rstrip())
    start = end
    while start > 0 and (source[start - 1].isalnum() or source[start - 1] in "-%"):
        start -= 1
    if start == end:
        return None
    word = _Word(source[start:end])
    word.line = source.count("\n", 0, start) + 1
    word.column = start - (source.rfind("\n", 0, start) + 1) + 1
    return word


def _end_of(source: str) -> tuple[int, int]:
    last = source.rsplit("\n", 1)[-1]
    return source.count("\n") + 1, len(last) + 1


def _syntax_problem(exc: Any, source: str) -> Problem:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        prev = _previous_word(source, getattr(tok, "start_pos", None))
        if tok.type == "$END":
            return Problem("unexpected end of file", *_end_of(source))
        if str(tok) == "static" and "STATIC" not in exc.expected:
            return _problem("`static` functions are only allowed inside a `resource` block", tok)
        if str(tok) == "constructor" and "CONSTRUCTOR" not in exc.expected:
            return _problem("constructors are only allowed inside a `resource` block", tok)
        if prev is not None and str(prev) in KEYWORDS and tok.type == "COLON":
            return _problem(f"`{prev}` is a keyword; write `%{prev}` to use it as a name", prev)
        if str(tok) in KEYWORDS and "ID" in exc.expected:
            return _problem(f"`{tok}` is a keyword; write `%{tok}` to use it as a name", tok)
        expected = sorted({_describe_terminal(t) for t in exc.expected})
        shown = ", ".join(expected[:8]) + (", ..." if len(expected) > 8 else "")
        text = str(tok)[:32]
        return _problem(f"unexpected `{text}`; expected {shown}", tok)
    if isinstance(exc, UnexpectedCharacters):
        char = exc.char if exc.char.isprintable() else repr(exc.char)
        return Problem(f"unexpected character `{char}`", exc.line, exc.column)
    if isinstance(exc, UnexpectedEOF):
        return Problem("unexpected end of file", *_end_of(source))
    return Problem("invalid WIT syntax", getattr(exc, "line", None), getattr(exc, "column", None))


def parse_text(source: str, path: str = "<input>") -> ast.File:
    """Parse one file's text; raise WitError (one diagnostic with line/column) when invalid."""
    from lark.exceptions import UnexpectedInput

    try:
        # a UTF-8 byte order mark is skipped, as in wit-parser (a space keeps every offset)
        lexable, comments = scan(" " + source[1:] if source.startswith("\ufeff") else source)
    except UnterminatedComment as exc:
        line = source.count("\n", 0, exc.offset) + 1
        column = exc.offset - (source.rfind("\n", 0, exc.offset) + 1) + 1
        raise WitError([Problem("unterminated block comment", line, column).diagnostic(path)]) from None
    try:
        children = get_parser().parse(lexable)
    except Problem as problem:
        raise WitError([problem.diagnostic(path)]) from None
    except UnexpectedInput as exc:
        raise WitError([_syntax_problem(exc, lexable).diagnostic(path)]) from None
    package = None
    items: list = []
    nested: list = []
    for child in children:
        if isinstance(child, ast.PackageName):
            package = child
        elif isinstance(child, ast.NestedPackage):
            nested.append(child)
        else:
            items.append(child)
    return ast.File(path, source, package, tuple(items), tuple(nested), tuple(comments))


def parse_file(path: Path | str) -> ast.File:
    """Read and parse a file; unreadable or non-UTF-8 files become a WitError too."""
    shown = str(path)
    try:  # deps/ folders are often symlinked, so a final symlink is followed; FIFOs are refused
        data = read_bounded(path, MAX_FILE_BYTES)
    except ReadError as exc:
        if exc.kind == "bounds":
            raise WitError([Problem(f"file exceeds {MAX_FILE_BYTES} bytes").diagnostic(shown)]) from None
        raise wit_io_error(f"cannot read file: {exc.reason}", shown) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WitError([Problem(f"file is not valid UTF-8 (byte {exc.start})").diagnostic(shown)]) from None
    return parse_text(text, shown)
