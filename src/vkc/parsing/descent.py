"""The helpers of a recursive-descent parser over a list of tokens: look, accept, expect, nest, and say where."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

from vkc.errors import InputError
from vkc.parsing.limits import Limits
from vkc.parsing.phrases import shorten
from vkc.parsing.source import SourceText
from vkc.parsing.tokens import END, STRING, SYMBOL, Token

__all__ = ["Infix", "Parser", "fold_left"]


@dataclass(frozen=True, slots=True)
class Infix:
    """One precedence level of left-associative binary operators, and how its node is built.

    ``ops`` are the operators: names as their tokens' ``word`` (case-folded)
    or symbols. ``build`` gets the operands and the operators between them
    (one fewer) of a run such as ``a or b or c``.
    """

    ops: tuple[str, ...]
    build: Callable[[list[Any], list[str]], Any]


def fold_left(make: Callable[[str, Any, Any], Any]) -> Callable[[list[Any], list[str]], Any]:
    """An :class:`Infix` build making binary nodes ``make(op, left, right)``, grouped from the left."""

    def build(operands: list[Any], ops: list[str]) -> Any:
        node = operands[0]
        for op, right in zip(ops, operands[1:], strict=True):
            node = make(op, node, right)
        return node

    return build


class Parser:
    """A position in a token list (ending with an END token) and the ways to move on, check and report.

    ``subject`` is what messages call the whole text ("the filter is nested
    more than 100 levels deep"), ``end_shown`` what they call its end.
    """

    subject: ClassVar[str] = "expression"
    end_shown: ClassVar[str] = "the end of the value"
    levels: ClassVar[tuple[Infix, ...]] = ()  # the binary operators for infix(), loosest first

    def __init__(self, tokens: list[Token], source: SourceText, limits: Limits) -> None:
        self.tokens = tokens
        self.source = source
        self.limits = limits
        self.i = 0
        self.nesting = limits.nesting(self.subject)

    # -- looking -------------------------------------------------------------
    @property
    def tok(self) -> Token:
        """The current token."""
        return self.tokens[self.i]

    def peek(self, ahead: int = 1) -> Token:
        """The token ``ahead`` places after the current one (the END token past the end)."""
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    @property
    def at_end(self) -> bool:
        return self.tokens[self.i].kind == END

    def at_symbol(self, symbol: str, token: Token | None = None) -> bool:
        """Whether ``token`` (the current one by default) is the symbol ``symbol``."""
        token = token or self.tok
        return token.kind == SYMBOL and token.value == symbol

    def at_word(self, word: str, token: Token | None = None) -> bool:
        """Whether ``token`` (the current one by default) is a name that case-folds to ``word``."""
        return (token or self.tok).word == word

    # -- moving on -----------------------------------------------------------
    def advance(self) -> Token:
        """The current token, moving past it (but never past the END token)."""
        token = self.tokens[self.i]
        if token.kind != END:
            self.i += 1
        return token

    def accept_symbol(self, symbol: str) -> Token | None:
        """The current token, moved past, if it is the symbol ``symbol``; else None."""
        return self.advance() if self.at_symbol(symbol) else None

    def accept_word(self, word: str) -> Token | None:
        """The current token, moved past, if it is the word ``word``; else None."""
        return self.advance() if self.at_word(word) else None

    def expect_symbol(self, symbol: str, what: str | None = None) -> Token:
        """The symbol ``symbol``, moved past, or an error saying ``what`` (by default the symbol) was expected."""
        if not self.at_symbol(symbol):
            raise self.expected(what or f"'{symbol}'")
        return self.advance()

    def expect_word(self, word: str, what: str | None = None) -> Token:
        """The word ``word``, moved past, or an error saying ``what`` (by default the word) was expected."""
        if not self.at_word(word):
            raise self.expected(what or word)
        return self.advance()

    # -- reporting -----------------------------------------------------------
    def at(self, token: Token) -> str:
        """``at position N`` of ``token``, for messages."""
        return self.source.at(token.pos)

    def shown(self, token: Token) -> str:
        """How messages show a token: quoted and cut to 40 characters, strings as ``the string '…'``."""
        if token.kind == END:
            return self.end_shown
        text = shorten(token.text)
        return f"the string {text}" if token.kind == STRING else f"'{text}'"

    def expected(self, what: str, token: Token | None = None) -> InputError:
        """``expected <what> at position N, found <token>`` (the current token by default)."""
        token = token or self.tok
        return self.source.error(f"expected {what}", token.pos, self.shown(token))

    def fail(self, message: str, token: Token, hint: str | None = None) -> InputError:
        """``message at position N`` of ``token``, with the hint if given."""
        return self.source.error(message, token.pos, hint=hint)

    def nested(self, token: Token) -> AbstractContextManager[None]:
        """One nesting level deeper for a ``with`` body; over the limit, an error at ``token``."""
        return self.nesting.deeper(lambda message: self.fail(message, token))

    # -- binary operators ----------------------------------------------------
    def infix(self, level: int = 0) -> Any:
        """A run of the operators of ``levels[level]`` over operands with tighter ones, down to :meth:`unary`.

        Each operand goes through :meth:`operand_of` as soon as it is parsed
        (the first one before what follows it), so errors come in the order of
        the text. One Python frame per level, as hand-written descent would use.
        """
        levels = self.levels
        if level >= len(levels):
            return self.unary()
        spec = levels[level]
        tighter = level + 1 < len(levels)  # (no frame for a level without operators)
        start = self.tokens[self.i]
        first = self.infix(level + 1) if tighter else self.unary()
        op = self.infix_op(spec)
        if op is None:
            return first
        operands = [self.operand_of(first, start, op, "left")]
        ops: list[str] = []
        while op is not None:
            self.advance()
            start = self.tokens[self.i]
            operand = self.infix(level + 1) if tighter else self.unary()
            operands.append(self.operand_of(operand, start, op, "right"))
            ops.append(op)
            op = self.infix_op(spec)
        return spec.build(operands, ops)

    def infix_op(self, spec: Infix) -> str | None:
        """The operator of ``spec`` that the current token is, or None."""
        token = self.tokens[self.i]
        if token.word in spec.ops:
            return token.word
        if token.kind == SYMBOL and token.value in spec.ops:
            return str(token.value)
        return None

    def unary(self) -> Any:
        """An operand of the tightest binary operators (prefix operators and primaries); for :meth:`infix`."""
        raise NotImplementedError

    def operand_of(self, node: Any, token: Token, op: str, side: str) -> Any:
        """Checks (and may convert) an operand, starting at ``token``, of ``op`` on the ``side`` "left" or "right"."""
        return node
