"""Value queries over runs: ``metrics.accuracy > 0.9 and tags.team = 'vision'``.

The text is parsed here, in the store layer, into a small tree that each store evaluates where
its data lives (the SQL store translates it into one WHERE clause: ``sql/run_query.py``).
Grammar (keywords case-insensitive)::

    query      := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | "(" query ")" | comparison
    comparison := column op literal
                | column ["not"] "in" "(" literal ("," literal)* ")"
                | column "is" ["not"] "null"
                | column ["not"] "contains" string
    column     := namespace "." name | attribute
    namespace  := metrics | tags | properties | attributes   (singulars work too)
    name       := word ("." word | "/" word | "-" word)*  |  `any text`  |  "any text"
    op         := = | == | != | <> | < | <= | > | >=
    literal    := number | 'text' | true | false

``metrics.<name>`` is the metric's last value; a comparison only matches runs that have the
value (``is null`` finds the others). Tags and properties are text: compared with a number
they are read as numbers (a value that is not one does not match). Times (``created_time``,
``start_time``, ``end_time``) compare with epoch seconds or an ISO date ('2026-05-01' or
'2026-05-01T12:00', UTC unless an offset is given); ``duration`` is in seconds.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from .base import InvalidInputError
from .run_columns import ATTRIBUTES, Column, attribute, make_column, namespace_of

MAX_QUERY_LENGTH = 4096
MAX_TERMS = 100
MAX_DEPTH = 32
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
Literal = str | float | bool


@dataclass(frozen=True)
class Compare:
    column: Column
    op: str  # one of COMPARISONS
    value: Literal


@dataclass(frozen=True)
class In:
    column: Column
    values: tuple[Literal, ...]
    negate: bool = False


@dataclass(frozen=True)
class IsNull:
    column: Column
    negate: bool = False  # "is not null": the run has the value


@dataclass(frozen=True)
class Contains:
    column: Column
    text: str
    negate: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | In | IsNull | Contains | And | Or | Not

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>`[^`]*`|"(?:[^"]|"")*")
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[A-Za-z_][\w\-/:]*)
""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "contains", "true", "false"}


@dataclass
class _Token:
    kind: str
    text: str
    pos: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise InvalidInputError(f"Query: unexpected {text[pos:pos + 12]!r} at position "
                                    f"{pos + 1}.")
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Token(kind, match.group(), pos))
        pos = match.end()
    out.append(_Token("end", "", len(text)))
    return out


def _time_value(text: str) -> float:
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInputError(
            f"Query: {text!r} is not a time; use epoch seconds or an ISO date like "
            "'2026-05-01' or '2026-05-01T12:00:00'.") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.terms = 0
        self.depth = 0

    # ---- tokens
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.lower() in words

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, kind: str, text: str | None = None) -> _Token:
        token = self.take()
        if token.kind != kind or (text is not None and token.text.lower() != text):
            want = repr(text) if text else kind
            raise self.error(token, f"expected {want}")
        return token

    def error(self, token: _Token, what: str) -> InvalidInputError:
        found = "the end" if token.kind == "end" else repr(token.text)
        return InvalidInputError(f"Query: {what} at position {token.pos + 1}, found {found}.")

    # ---- grammar
    def parse(self) -> Node:
        node = self.or_()
        if self.peek().kind != "end":
            raise self.error(self.peek(), "expected 'and', 'or' or the end")
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.keyword("or"):
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.not_()]
        while self.keyword("and"):
            self.take()
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidInputError(f"Query: nested deeper than {MAX_DEPTH} levels.")
        try:
            if self.keyword("not"):
                self.take()
                return Not(self.not_())
            if self.peek().kind == "punct" and self.peek().text == "(":
                self.take()
                node = self.or_()
                self.expect("punct", ")")
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def name_part(self) -> str:
        token = self.take()
        if token.kind == "quoted":
            quote = token.text[0]
            return token.text[1:-1].replace(quote * 2, quote)
        if token.kind == "word":
            return token.text
        if token.kind == "number":  # metrics.f1 lexes as a word; "metrics.1st" is allowed too
            return token.text
        raise self.error(token, "expected a name")

    def column(self) -> Column:
        first = self.peek()
        if first.kind == "word" and first.text.lower() in _KEYWORDS:
            raise self.error(first, "expected a column like metrics.accuracy")
        head = self.name_part()
        namespace = namespace_of(head)
        if namespace and self.peek().kind == "punct" and self.peek().text == ".":
            self.take()
            parts = [self.name_part()]
            # Metric names may hold dots ("val.loss"): join until the operator.
            while self.peek().kind == "punct" and self.peek().text == ".":
                self.take()
                parts.append(self.name_part())
            name = ".".join(parts)
        else:
            if self.peek().kind == "punct" and self.peek().text == ".":
                raise self.error(self.peek(), f"{head!r} is not a namespace (use metrics, tags, "
                                 "properties or attributes)")
            namespace, name = "attributes", head
            if attribute(name) not in ATTRIBUTES:  # attribute() raises for unknown names
                raise self.error(first, "expected a column")
        if namespace == "parameters":
            raise InvalidInputError(
                "Query: parameters (script arguments) cannot be queried; they live in the run "
                "definition. Filter on a tag or metric instead (sweeps can tag each trial).")
        return make_column(namespace, name)

    def literal(self, column: Column) -> Literal:
        token = self.take()
        if token.kind == "number":
            value: Literal = float(token.text)
        elif token.kind == "string":
            value = token.text[1:-1].replace("''", "'")
        elif token.kind == "word" and token.text.lower() in ("true", "false"):
            value = token.text.lower() == "true"
        else:
            raise self.error(token, "expected a number, 'text', true or false")
        return _check_literal(column, value)

    def comparison(self) -> Node:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise InvalidInputError(f"Query: more than {MAX_TERMS} comparisons.")
        column = self.column()
        token = self.peek()
        if token.kind == "op":
            self.take()
            op = {"==": "=", "<>": "!="}.get(token.text, token.text)
            return Compare(column, op, self.literal(column))
        negate = False
        if self.keyword("not"):
            self.take()
            negate = True
            if not self.keyword("in", "contains"):
                raise self.error(self.peek(), "expected 'in' or 'contains' after 'not'")
        if self.keyword("in"):
            self.take()
            self.expect("punct", "(")
            values = [self.literal(column)]
            while self.peek().kind == "punct" and self.peek().text == ",":
                self.take()
                values.append(self.literal(column))
            self.expect("punct", ")")
            return In(column, tuple(values), negate)
        if self.keyword("contains"):
            self.take()
            if column.namespace == "attributes" and \
                    ATTRIBUTES[column.name] in ("number", "time"):
                raise InvalidInputError(f"Query: attributes.{column.name} is a number; "
                                        "'contains' compares text.")
            token = self.take()
            if token.kind != "string":
                raise self.error(token, "'contains' needs a 'text' value")
            return Contains(column, token.text[1:-1].replace("''", "'"), negate)
        if self.keyword("is"):
            self.take()
            negate = False
            if self.keyword("not"):
                self.take()
                negate = True
            self.expect("word", "null")
            return IsNull(column, negate)
        raise self.error(token, "expected an operator (=, !=, <, <=, >, >=, in, contains, is)")


def _check_literal(column: Column, value: Literal) -> Literal:
    """Literals that cannot match their column are errors, not silent empty results."""
    if column.namespace != "attributes":
        return value
    kind = ATTRIBUTES[column.name]
    if kind == "time" and isinstance(value, str):
        return _time_value(value)
    if kind in ("number", "time") and not isinstance(value, float):
        raise InvalidInputError(f"Query: attributes.{column.name} is a number; compare it with "
                                "a number" + (" or an ISO date." if kind == "time" else "."))
    if kind == "text" and not isinstance(value, str):
        raise InvalidInputError(f"Query: attributes.{column.name} is text; compare it with "
                                "'text'.")
    return value


def parse_filter(text: str | None) -> Node | None:
    """The query's tree, None for an empty query; InvalidInputError (HTTP 400) saying where a
    bad query goes wrong."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInputError(f"Query: longer than {MAX_QUERY_LENGTH} characters.")
    return _Parser(text).parse()


__all__ = ["COMPARISONS", "And", "Compare", "Contains", "In", "IsNull", "Node", "Not", "Or",
           "parse_filter"]
