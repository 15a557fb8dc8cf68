"""CQL2 Text: a recursive-descent parser over the tokens of :mod:`vkc.ogc.cql2.lexer`; precedence NOT > AND > OR."""

from __future__ import annotations

from typing import Any, ClassVar

from vkc.ogc.cql2.checks import LIMITS, as_predicate, check_pattern, check_scalar, check_text, error, filter_text, is_predicate, join
from vkc.ogc.cql2.operands import OperandParser
from vkc.parsing import STRING, SYMBOL, Infix, Token
from vkc.store.filters import COMPARISON_OPS, And, Between, Compare, Expr, Func, In, IsNull, Like, Not, Or


def parse_text(text: str) -> Expr:
    """Parse a CQL2 Text filter."""
    text = filter_text(text, "a CQL2 Text filter must be a string")
    return LIMITS.run(lambda: _TextParser(text).parse(), "filter", error)


class _TextParser(OperandParser):
    levels: ClassVar[tuple[Infix, ...]] = (
        Infix(("OR",), lambda items, _: join(Or, items)),
        Infix(("AND",), lambda items, _: join(And, items)),
    )

    # -- boolean structure -------------------------------------------------
    def parse(self) -> Expr:
        start = self.tok
        node = self.infix()
        if not self.at_end:
            raise self.expected("AND, OR or the end of the filter")
        return as_predicate(node, self.at(start))

    def operand_of(self, node: Any, token: Token, op: str, side: str) -> Any:
        return as_predicate(node, self.at(token))

    def unary(self) -> Any:
        if not self.at_word("NOT"):
            return self.primary()
        token = self.advance()
        with self.nested(token):
            start = self.tok
            return Not(as_predicate(self.unary(), self.at(start)))

    def primary(self) -> Any:
        if self.at_symbol("("):
            token = self.advance()
            with self.nested(token):
                node = self.infix()
                self.expect_symbol(")")
        else:
            node = self.operand()
        return self.predicate_tail(node)

    # -- predicates after a first operand ----------------------------------
    def predicate_tail(self, left: Any) -> Any:
        token = self.tok
        if token.kind == SYMBOL and token.value in COMPARISON_OPS:
            return self.comparison(left)
        if self.at_symbol("!="):
            raise error(f"'!=' is not a CQL2 operator ({self.at(token)}); write '<>' for 'not equal'")
        self.refuse_arithmetic()
        negated = False
        if self.at_word("NOT") and self.peek().word in ("LIKE", "BETWEEN", "IN"):
            self.advance()
            negated = True
        word = self.tok.word
        if word == "LIKE":
            node: Any = self.like(left)
        elif word == "BETWEEN":
            node = self.between(left)
        elif word == "IN":
            node = self.in_list(left)
        elif word == "IS":
            return self.is_null(left)
        elif self.at_word("NOT"):
            raise self.expected("LIKE, BETWEEN or IN after NOT", self.peek())
        else:
            return left
        return Not(node) if negated else node

    def comparison(self, left: Any) -> Compare:
        op_token = self.advance()
        where = self.at(op_token)
        check_scalar(left, f"the left side of '{op_token.value}'", where)
        start = self.tok
        right = self.operand()
        check_scalar(right, f"the right side of '{op_token.value}'", self.at(start))
        return Compare(op_token.value, left, right)

    def like(self, left: Any) -> Like:
        token = self.advance()
        check_text(left, "the left side of LIKE", self.at(token))
        start = self.tok
        pattern = self.pattern()
        check_pattern(pattern, self.at(start))
        return Like(left, pattern)

    def pattern(self) -> Any:
        token = self.tok
        if token.kind == STRING:
            return self.advance().value
        if token.word in ("CASEI", "ACCENTI") and self.at_symbol("(", self.peek()):
            self.advance()
            self.advance()
            with self.nested(token):
                inner = self.pattern()
                self.expect_symbol(")")
            return Func((token.word or "").lower(), inner)
        raise self.expected("a quoted pattern after LIKE (optionally inside CASEI/ACCENTI)")

    def between(self, left: Any) -> Between:
        token = self.advance()
        check_scalar(left, "the value before BETWEEN", self.at(token))
        low = self.scalar("the lower bound of BETWEEN")
        self.expect_word("AND")
        high = self.scalar("the upper bound of BETWEEN")
        return Between(left, low, high)

    def in_list(self, left: Any) -> In:
        token = self.advance()
        check_scalar(left, "the value before IN", self.at(token))
        self.expect_symbol("(")
        if self.at_symbol(")"):
            raise self.expected("at least one value in the IN list")
        items = [self.scalar("an item of the IN list")]
        while self.accept_symbol(","):
            items.append(self.scalar("an item of the IN list"))
        self.expect_symbol(")")
        return In(left, tuple(items))

    def is_null(self, left: Any) -> Any:
        token = self.advance()
        if is_predicate(left):
            raise error(f"IS NULL applies to a value, not a condition ({self.at(token)})")
        negated = self.accept_word("NOT") is not None
        self.expect_word("NULL")
        return Not(IsNull(left)) if negated else IsNull(left)

    def scalar(self, role: str) -> Any:
        start = self.tok
        value = self.operand()
        check_scalar(value, role, self.at(start))
        return value
