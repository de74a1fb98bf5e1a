"""Text -> syntax tree, with a position on every node and every syntax error collected.

The lark LALR parser is built once per process, on first use. A file is parsed in one pass; only
when that fails is it re-parsed statement by statement, so that every syntax error of the file is
reported together (and the well-formed statements still reach the later checks).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from importlib.resources import files

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from engine.datalog.ast import (
    BUILTINS,
    Annotation,
    Atom,
    Builtin,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    Term,
    Var,
)
from engine.diagnostics import Diagnostic, Location

INT_LIMIT = 2**63  # integers are 64-bit signed: anything wider is a mistake, not a value
MAX_SYNTAX_ERRORS = 50  # per file; beyond this the rest of the file is not worth reporting

_TERMINAL_WORDS = {
    "AT": "`@`",
    "DENY": "`deny`",
    "WARN": "`warn`",
    "INFO": "`info`",
    "NOT": "`not`",
    "IMPLIES": "`:-`",
    "DOT": "`.`",
    "COMMA": "`,`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "EQ": "`=`",
    "NE": "`!=`",
    "LT": "`<`",
    "LE": "`<=`",
    "GT": "`>`",
    "GE": "`>=`",
    "NAME": "a predicate name",
    "VAR": "a variable",
    "ANON": "`_`",
    "INT": "an integer",
    "STRING": "a string",
    "$END": "end of input",
}
# Statement chunks for error recovery: a statement ends at a `.` outside strings and comments.
# (A `.` between digits is a mistyped number, not the end of a statement.)
_CHUNK_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|"[^\n]*|#[^\n]*|(?P<end>\.(?![0-9]))|\.|[^".#]+')


class SyntaxProblem(Exception):
    """A statement that parsed but holds an unusable value (integer out of range, bad string)."""

    def __init__(self, code: str, message: str, location: Location):
        super().__init__(message)
        self.code, self.message, self.location = code, message, location


@cache
def grammar_text() -> str:
    """The grammar source (also part of the program cache key, engine/datalog/program.py)."""
    return files("engine.datalog").joinpath("grammar.lark").read_text(encoding="utf-8")


@cache
def _parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", start=["start", "query"], maybe_placeholders=False)


def rule_diagnostic(code: str, message: str, location: Location | None) -> Diagnostic:
    """Every load-time problem of the rule language has this shape."""
    return Diagnostic("rule", "rules", message, code=f"rules.{code}", location=location)


def _show(text: str) -> str:
    text = text if len(text) <= 40 else text[:40] + "\u2026"
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _syntax_diagnostic(err: UnexpectedInput, builder: _Builder) -> Diagnostic:
    line, column = getattr(err, "line", None), getattr(err, "column", None)
    if isinstance(err, UnexpectedCharacters):
        message = f"unexpected character `{_show(err.char)}`"
    elif isinstance(err, UnexpectedEOF):
        message = "unexpected end of input (a statement must end with `.`)"
    elif isinstance(err, UnexpectedToken):
        if err.token.type == "$END":
            message = "unexpected end of input (a statement must end with `.`)"
            line, column = getattr(err.token, "end_line", None), getattr(err.token, "end_column", None)
        else:
            message = f"unexpected `{_show(str(err.token))}`"
        expected = sorted({_TERMINAL_WORDS.get(t, t) for t in (err.accepts or err.expected)})
        if expected:
            message += "; expected " + ", ".join(expected)
    else:  # pragma: no cover - lark has no other UnexpectedInput kinds today
        message = "syntax error"
    return rule_diagnostic("syntax", message, builder.position(line, column))


def _tree(node: Tree | Token) -> Tree:
    """The grammar puts a subtree here: a token means grammar and builder disagree."""
    if isinstance(node, Tree):
        return node
    raise TypeError(f"rule parser: expected a subtree, got token {node.type}")


def _token(node: Tree | Token) -> Token:
    """The grammar puts a token here: a subtree means grammar and builder disagree."""
    if isinstance(node, Token):
        return node
    raise TypeError(f"rule parser: expected a token, got subtree {node.data}")


class _Builder:
    """Parse tree -> syntax tree for one file (knows the file name for every Location).

    Error recovery parses a statement alone; `shift` places its positions back in the file."""

    def __init__(self, file: str):
        self.file = file
        self.anon = 0
        self.lines_before = 0  # lines of the file before the text being parsed
        self.first_column = 1  # column, in the file, of the text's first character

    def shift(self, line: int, column: int) -> None:
        self.lines_before, self.first_column = line - 1, column

    def position(self, line: int | None, column: int | None) -> Location:
        """A position in the text being parsed, as a Location in the file."""
        if line is None:
            return Location(self.file, None, column)
        if line < 0:  # lark's "no position"
            return Location(self.file)
        if line == 1 and column is not None:
            column += self.first_column - 1
        return Location(self.file, line + self.lines_before, column)

    def loc(self, token: Token) -> Location:
        return self.position(token.line, token.column)

    def statement(self, tree: Tree) -> Rule:
        if tree.data == "annotated":
            *annotations, target = (_tree(child) for child in tree.children)
            rule = self.statement(target)
            return replace(rule, annotations=tuple(self.annotation(a) for a in annotations))
        if tree.data == "rule":
            head = self.atom(_tree(tree.children[0]))
            body = self.body(_tree(tree.children[2])) if len(tree.children) == 4 else ()
            return Rule(head, body, head.location)
        severity_tree, atom_tree, message, _, body_tree, _ = tree.children
        token = _token(_tree(severity_tree).children[0])
        return Rule(
            self.atom(_tree(atom_tree)),
            self.body(_tree(body_tree)),
            self.loc(token),
            severity=str(token),
            message=self.string(_token(message)),
        )

    def annotation(self, tree: Tree) -> Annotation:
        at, name, _, value, _ = tree.children
        written: Atom | Var = Var(str(value), self.loc(value)) if isinstance(value, Token) else self.atom(_tree(value))
        return Annotation(str(_token(name)), written, self.loc(_token(at)))

    def body(self, tree: Tree) -> tuple[Literal, ...]:
        return tuple(self.literal(child) for child in tree.children if isinstance(child, Tree))

    def literal(self, tree: Tree) -> Literal:
        if tree.data == "atom":
            atom = self.atom(tree)
            if atom.pred in BUILTINS:
                return Builtin(atom.pred, atom.args, atom.location)
            return atom
        if tree.data == "negation":
            atom = self.atom(_tree(tree.children[1]))
            loc = self.loc(_token(tree.children[0]))
            if atom.pred in BUILTINS:
                return Builtin(atom.pred, atom.args, loc, negated=True)
            return Negation(atom, loc)
        left, op_tree, right = (_token(tree.children[0]), _tree(tree.children[1]), _token(tree.children[2]))
        return Comparison(str(op_tree.children[0]), self.term(left), self.term(right), self.loc(left))

    def atom(self, tree: Tree) -> Atom:
        name, *rest = (_token(child) for child in tree.children)
        args = tuple(self.term(c) for c in rest if c.type not in ("LPAR", "RPAR", "COMMA"))
        return Atom(str(name), args, self.loc(name))

    def term(self, token: Token) -> Term:
        loc = self.loc(token)
        if token.type == "VAR":
            return Var(str(token), loc)
        if token.type == "ANON":
            self.anon += 1
            return Var(f"_{self.anon}", loc, anonymous=True)
        if token.type == "INT":
            return Const(self.integer(token), loc)
        return Const(self.string(token), loc)

    def integer(self, token: Token) -> int:
        text = str(token)
        if len(text.lstrip("-")) > 19 or not -INT_LIMIT <= int(text) < INT_LIMIT:
            raise SyntaxProblem("int-range", "integer out of range (64-bit signed)", self.loc(token))
        return int(text)

    def string(self, token: Token) -> str:
        value = json.loads(str(token))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise SyntaxProblem("bad-string", "string holds a lone surrogate escape", self.loc(token)) from None
        return value


def _statements(tree: Tree, builder: _Builder, diagnostics: list[Diagnostic]) -> list[Rule]:
    rules = []
    for child in tree.children:
        try:
            rules.append(builder.statement(_tree(child)))
        except SyntaxProblem as problem:
            diagnostics.append(rule_diagnostic(problem.code, problem.message, problem.location))
    return rules


def parse_text(text: str, file: str = "<string>") -> tuple[list[Rule], list[Diagnostic]]:
    """Parse a whole file; returns its statements and its syntax diagnostics (all of them)."""
    builder = _Builder(file)
    diagnostics: list[Diagnostic] = []
    try:
        tree = _parser().parse(text, start="start")
    except UnexpectedInput:
        return _parse_by_statement(text, builder, diagnostics)
    return _statements(tree, builder, diagnostics), diagnostics


def _parse_by_statement(
    text: str, builder: _Builder, diagnostics: list[Diagnostic]
) -> tuple[list[Rule], list[Diagnostic]]:
    """Recovery: parse each `.`-terminated chunk alone, its positions shifted to the file's."""
    rules: list[Rule] = []
    errors = 0
    start, line, col = 0, 1, 1
    pos = 0
    for match in _CHUNK_RE.finditer(text):
        pos = match.end()
        if match.lastgroup != "end" and pos < len(text):
            continue
        chunk = text[start:pos]
        if chunk.strip():
            builder.shift(line, col)
            try:
                tree = _parser().parse(chunk, start="start")
            except UnexpectedInput as err:
                errors += 1
                diagnostics.append(_syntax_diagnostic(err, builder))
                if errors >= MAX_SYNTAX_ERRORS:
                    break
            else:
                rules.extend(_statements(tree, builder, diagnostics))
        newlines = chunk.count("\n")
        line += newlines
        col = (len(chunk) - chunk.rfind("\n")) if newlines else col + len(chunk)
        start = pos
    return rules, diagnostics


def parse_query(text: str, file: str = "<atom>") -> tuple[Atom | None, list[Diagnostic]]:
    """Parse one atom written in rule syntax (CLI ATOM arguments)."""
    try:
        tree = _parser().parse(text, start="query")
        return _Builder(file).atom(_tree(tree.children[0])), []
    except UnexpectedInput as err:
        return None, [_syntax_diagnostic(err, _Builder(file))]
    except SyntaxProblem as problem:
        return None, [rule_diagnostic(problem.code, problem.message, problem.location)]
