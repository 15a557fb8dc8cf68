"""The recursive-descent parser of SensorThings OData expressions, and its entry points for ``$filter`` and ``$orderby``."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from vkc.parsing import END, NAME, NUMBER, STRING, Infix, Parser, Token, fold_left
from vkc.sta.odata_expr.lexer import LITERAL, ODataLexer
from vkc.sta.odata_expr.tree import (
    ADDITIVE,
    ARITHMETIC_OPS,
    BOOLEAN_FUNCTIONS,
    COMPARISON_OPS,
    FUNCTION_HINTS,
    FUNCTIONS,
    KEYWORDS,
    LIMITS,
    MULTIPLICATIVE,
    And,
    Arith,
    Call,
    Compare,
    Duration,
    Negate,
    Not,
    Or,
    Path,
    Source,
    describe,
    is_condition,
)
from vkc.store import filters as F

_DE9IM_RE = re.compile(r"[012TF*]{9}", re.ASCII | re.IGNORECASE)


def parse_expression(source: Source) -> Any:
    """A ``$filter`` value: one expression, which must be a condition."""

    def body() -> Any:
        parser = _Parser(source)
        start = parser.tok
        if start.kind == END:
            raise source.error("the expression is empty")
        node = parser.expression()
        if not parser.at_end:
            raise parser.expected("an operator or the end of the expression")
        return parser.check_condition(node, start, "the filter")

    return LIMITS.run(body, "expression", source.error)


def parse_orderby_items(source: Source) -> list[tuple[Any, bool]]:
    """An ``$orderby`` value: ``expression [asc|desc]`` items separated by commas, as (expression, descending) pairs."""

    def body() -> list[tuple[Any, bool]]:
        parser = _Parser(source)
        if parser.at_end:
            raise source.error("the value is empty")
        items: list[tuple[Any, bool]] = []
        while True:
            if parser.at_symbol(",") or parser.at_end:
                raise parser.expected("an expression to order by")
            expr = parser.expression()
            descending = False
            if parser.tok.word in ("asc", "desc"):
                descending = parser.advance().word == "desc"
            items.append((expr, descending))
            if parser.at_end:
                return items
            parser.expect_symbol(",", "'asc', 'desc', ',' or the end of $orderby")

    return LIMITS.run(body, "expression", source.error)


class _Parser(Parser):
    subject: ClassVar[str] = "expression"
    end_shown: ClassVar[str] = "the end of the value"
    levels: ClassVar[tuple[Infix, ...]] = (
        Infix(("or",), fold_left(lambda _, left, right: Or(left, right))),
        Infix(("and",), fold_left(lambda _, left, right: And(left, right))),
        Infix(COMPARISON_OPS, fold_left(Compare)),
        Infix(ADDITIVE, fold_left(Arith)),
        Infix(MULTIPLICATIVE, fold_left(Arith)),
    )

    def __init__(self, source: Source) -> None:
        super().__init__(ODataLexer(source).tokens(), source, LIMITS)

    def check_condition(self, node: Any, token: Token, role: str) -> Any:
        if not is_condition(node):
            raise self.fail(f"{role} must be a condition, not {describe(node)}", token)
        return node

    def check_number_like(self, node: Any, token: Token, role: str) -> Any:
        """Operands of arithmetic and unary minus: anything but conditions, strings, booleans and geometries."""
        if isinstance(node, F.Compare | F.And | F.Or | F.Not | bool | str | F.WktGeometry) or (
            isinstance(node, F.Call) and node.name in BOOLEAN_FUNCTIONS
        ):
            raise self.fail(f"{role} must be a number, a date/time or a duration, not {describe(node)}", token)
        return node

    # -- the grammar ---------------------------------------------------------
    def expression(self) -> Any:
        return self.infix()

    def operand_of(self, node: Any, token: Token, op: str, side: str) -> Any:
        if op in ("or", "and"):
            return self.check_condition(node, token, f"the {side} side of '{op}'")
        if op in ARITHMETIC_OPS:
            return self.check_number_like(node, token, f"the {side} side of '{op}'")
        return node

    def unary(self) -> Any:
        token = self.tok
        if token.word == "not" and not self.at_symbol("/", self.peek()):
            self.advance()
            with self.nested(token):
                operand_start = self.tok
                operand = self.check_condition(self.unary(), operand_start, "the operand of 'not'")
            following = self.tok.word
            if following in COMPARISON_OPS or following in ARITHMETIC_OPS:
                raise self.fail(
                    f"'not' binds tighter than '{following}', so it would negate only {describe(operand)}",
                    token,
                    f"write not (... {following} ...) to negate the whole expression, or (not ...) {following} ... if that is meant",
                )
            return Not(operand)
        if self.at_symbol("-"):
            self.advance()
            with self.nested(token):
                operand_start = self.tok
                operand = self.unary()
            if isinstance(operand, int | float) and not isinstance(operand, bool):
                return -operand
            if isinstance(operand, Duration):
                return Duration(-operand.seconds)
            return Negate(self.check_number_like(operand, operand_start, "the operand of unary '-'"))
        return self.primary()

    def primary(self) -> Any:
        token = self.tok
        if token.kind in (NUMBER, STRING, LITERAL):
            return self.advance().value
        if self.at_symbol("("):
            self.advance()
            with self.nested(token):
                node = self.expression()
                self.expect_symbol(")", "')' or an operator")
            return node
        if token.kind == NAME:
            return self.name_operand(token)
        raise self.expected("a value (a property, a literal or a function call)")

    def name_operand(self, token: Token) -> Any:
        word = token.word
        following = self.peek()
        if self.at_symbol("(", following):
            return self.call(token)
        if word in ("true", "false"):
            self.advance()
            return word == "true"
        if word == "null":
            self.advance()
            return None
        if word in KEYWORDS:
            raise self.expected("a value (a property, a literal or a function call)")
        previous = self.advance()
        segments = [self.segment(previous)]
        while self.at_symbol("/") and self.tok.pos == previous.end:
            slash = self.advance()
            if self.tok.kind != NAME or self.tok.pos != slash.end:
                raise self.expected("a property name right after '/'")
            previous = self.advance()
            segments.append(self.segment(previous))
        if self.at_symbol("("):
            raise self.fail(f"'{'/'.join(segments)}(' is not a function; lambda operators and bound functions are not supported", token)
        return Path(tuple(segments))

    def segment(self, token: Token) -> str:
        name: str = token.value
        if name == "@iot.id":
            return "id"
        if name.startswith("@"):
            raise self.fail(f"{name!r} cannot be used in an expression; of the annotations only @iot.id can", token)
        return name

    def call(self, name_token: Token) -> Call:
        name = name_token.value.lower()
        arities = FUNCTIONS.get(name)
        if arities is None:
            hint = FUNCTION_HINTS.get(name)
            raise self.fail(f"unknown function {name_token.value!r}", name_token, f"did you mean {hint}?" if hint else None)
        self.advance()
        self.expect_symbol("(")
        args: list[Any] = []
        with self.nested(name_token):
            if not self.at_symbol(")"):
                args.append(self.expression())
                while self.accept_symbol(","):
                    args.append(self.expression())
            self.expect_symbol(")", f"',' or ')' in the arguments of {name}")
        if len(args) not in arities:
            takes = " or ".join(str(n) for n in arities)
            plural = "" if arities == (1,) else "s"
            raise self.fail(f"{name} takes {takes} argument{plural}, got {len(args)}", name_token)
        if name == "st_relate" and isinstance(args[2], str) and not _DE9IM_RE.fullmatch(args[2]):
            raise self.fail(f"st_relate: {args[2]!r} is not an intersection pattern (9 characters of 0, 1, 2, T, F or *)", name_token)
        return Call(name, tuple(args))
