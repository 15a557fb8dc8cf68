"""The parser toolkit (vkc.parsing) on its own, through a small calculator language built on it."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

import vkc.parsing
from vkc.errors import InputError
from vkc.parsing import (
    BLANKS,
    END,
    NAME,
    NUMBER,
    STRING,
    SYMBOL,
    Infix,
    Lexer,
    Limits,
    Parser,
    Rule,
    SourceText,
    Token,
    excerpt,
    fold_left,
    literal_phrase,
    plain,
    quoted,
    shorten,
    symbols,
    unquote,
)

# -- a calculator: numbers, 'strings', names, + - * / ^ with precedence, unary minus, parentheses, max(a, b, ...) --


class CalcLexer(Lexer):
    def string(self, match: re.Match[str]) -> Token:
        if match[2] is None:
            raise self.source.error("unterminated string", match.start())
        return self.token(STRING, match, unquote(match[1], "'"))

    def name_rule(self, match: re.Match[str]) -> Token | None:
        if not match.group(0)[0].isalpha():  # the pattern lets '²' and the like through: decline them
            return None
        return self.name(match.group(0), match.start())

    def hint(self, char: str) -> str:
        return "; write ** for powers" if char == "^" else ""

    rules: ClassVar[Sequence[Rule]] = (
        Rule(BLANKS),
        Rule(re.compile(r"\d+", re.ASCII), lambda lexer, m: lexer.token(NUMBER, m, int(m.group(0)))),
        Rule(quoted("'"), string),
        Rule(re.compile(r"[^\W\d]\w*"), name_rule),
        Rule(symbols("(", ")", ",", "+", "-", "*", "/", "**"), plain(SYMBOL)),
    )


class Calc(Parser):
    subject: ClassVar[str] = "formula"
    end_shown: ClassVar[str] = "the end of the formula"
    levels: ClassVar[tuple[Infix, ...]] = (
        Infix(("+", "-"), fold_left(lambda op, left, right: (op, left, right))),
        Infix(("*", "/", "mod"), fold_left(lambda op, left, right: (op, left, right))),
    )

    def __init__(self, text: str, limits: Limits | None = None) -> None:
        source = SourceText(text, "formula", "formula")
        limits = limits or Limits(max_length=50, max_depth=5)
        super().__init__(CalcLexer(source).tokens(), source, limits)
        self.seen: list[tuple[Any, str, str, int]] = []

    def parse(self) -> Any:
        node = self.infix()
        if not self.at_end:
            raise self.expected("an operator or the end")
        return node

    def operand_of(self, node: Any, token: Token, op: str, side: str) -> Any:
        self.seen.append((node, op, side, token.pos))
        if isinstance(node, str):
            raise self.fail(f"the {side} side of '{op}' is a string", token)
        return node

    def unary(self) -> Any:
        token = self.tok
        if self.accept_symbol("-"):
            with self.nested(token):
                return ("neg", self.unary())
        return self.primary()

    def primary(self) -> Any:
        token = self.tok
        if token.kind in (NUMBER, STRING):
            return self.advance().value
        if self.accept_symbol("("):
            with self.nested(token):
                node = self.infix()
                self.expect_symbol(")", "')' or an operator")
            return node
        if token.kind == NAME and self.at_symbol("(", self.peek()):
            self.advance()
            self.advance()
            args = [self.infix()]
            while self.accept_symbol(","):
                args.append(self.infix())
            self.expect_symbol(")")
            return (token.word, *args)
        if token.kind == NAME:
            return self.advance().word
        raise self.expected("a value")


def calc(text: str) -> Any:
    return Calc(text).parse()


def fails(text: str) -> str:
    with pytest.raises(InputError) as info:
        calc(text)
    assert info.value.detail == {"field": "formula"}
    return str(info.value)


# -- the tokenizer ---------------------------------------------------------------------


def test_tokens_carry_kind_text_value_offset_and_folded_word() -> None:
    tokens = CalcLexer(SourceText.of("Max(12, 'it''s')", "f")).tokens()
    assert [(t.kind, t.text, t.value, t.pos, t.word) for t in tokens] == [
        (NAME, "Max", "Max", 0, "max"),
        (SYMBOL, "(", "(", 3, None),
        (NUMBER, "12", 12, 4, None),
        (SYMBOL, ",", ",", 6, None),
        (STRING, "'it''s'", "it's", 8, None),
        (SYMBOL, ")", ")", 15, None),
        (END, "", None, 16, None),
    ]
    assert tokens[4].end == 15


def test_symbols_match_the_longest_first() -> None:
    assert [t.text for t in CalcLexer(SourceText.of("2**3*4", "f")).tokens()[:-1]] == ["2", "**", "3", "*", "4"]


def test_a_span_is_tokenized_alone_with_offsets_into_the_whole_text() -> None:
    source = SourceText("x=(1 + 2);y", "f", "f", start=3, end=8)
    tokens = CalcLexer(source).tokens()
    assert [(t.text, t.pos) for t in tokens] == [("1", 3), ("+", 5), ("2", 7), ("", 8)]


def test_blanks_of_every_kind_are_skipped() -> None:
    tokens = CalcLexer(SourceText.of("\t1\u00a0+\u2028\r\n2 ", "f")).tokens()
    assert [t.text for t in tokens] == ["1", "+", "2", ""]


def test_a_rule_that_declines_lets_the_next_ones_try() -> None:
    # '²' matches the name pattern, but name_rule declines it, no other rule takes it: unexpected
    assert fails("1 + ²") == "formula: unexpected character '²' at position 5"


def test_an_unexpected_character_is_reported_with_its_position_and_the_hint() -> None:
    assert fails("2 ^ 3") == "formula: unexpected character '^'; write ** for powers at position 3"


@pytest.mark.parametrize(
    ("text", "body", "closed"),
    [
        ("'abc'", "abc", True),
        ("''", "", True),
        ("'it''s' rest", "it''s", True),
        ("''''", "''", True),
        ("'abc", "abc", False),
        ("'abc''", "abc''", False),  # the doubled quote is not a closing one
        ("'a''b", "a''b", False),
    ],
)
def test_quoted_text(text: str, body: str, closed: bool) -> None:
    match = quoted("'").match(text)
    assert match is not None
    assert match[1] == body
    assert (match[2] is not None) is closed


def test_an_unterminated_string_is_reported_where_it_starts() -> None:
    assert fails("1 + 'abc''") == "formula: unterminated string at position 5"


def test_unquote() -> None:
    assert unquote("say ''hi''", "'") == "say 'hi'"
    assert unquote('a""b', '"') == 'a"b'


# -- the descent helpers ------------------------------------------------------------------


def test_precedence_and_grouping_from_the_left() -> None:
    assert calc("1 - 2 - 3") == ("-", ("-", 1, 2), 3)
    assert calc("1 + 2 * 3") == ("+", 1, ("*", 2, 3))
    assert calc("(1 + 2) * 3") == ("*", ("+", 1, 2), 3)
    assert calc("-2 * -x") == ("*", ("neg", 2), ("neg", "x"))
    assert calc("7 MOD 2") == ("mod", 7, 2)  # operators may be names, compared case-folded
    assert calc("max(1, 2 + 3)") == ("max", 1, ("+", 2, 3))


def test_operands_are_checked_in_text_order_with_their_side_and_start() -> None:
    parser = Calc("1 + 2 * 3 - 4")
    parser.parse()
    assert parser.seen == [
        (1, "+", "left", 0),  # the left operand is checked before what follows it is parsed
        (2, "*", "left", 4),
        (3, "*", "right", 8),
        (("*", 2, 3), "+", "right", 4),
        (4, "-", "right", 12),
    ]


def test_the_left_operand_fails_before_the_rest_is_parsed() -> None:
    assert fails("'a' + (") == "formula: the left side of '+' is a string at position 1"
    assert fails("1 * 'b'") == "formula: the right side of '*' is a string at position 5"


def test_expected_names_what_was_found() -> None:
    assert fails("(1 + 2") == "formula: expected ')' or an operator at position 7, found the end of the formula"
    assert fails("1 2") == "formula: expected an operator or the end at position 3, found '2'"
    assert fails("1 'a very long string that goes on and on and on'") == (
        "formula: expected an operator or the end at position 3, found the string 'a very long string that goes on and ..."
    )
    assert fails("max(1 2)") == "formula: expected ')' at position 7, found '2'"


def test_a_long_token_is_cut_in_messages() -> None:
    message = fails("1 " + "x" * 60)
    assert message.endswith("found '" + "x" * 37 + "...'")


def test_peek_and_advance_stop_at_the_end() -> None:
    parser = Calc("a")
    assert parser.peek().kind == END
    assert parser.peek(10).kind == END
    assert parser.advance().text == "a"
    assert parser.at_end
    assert parser.advance().kind == END
    assert parser.advance().kind == END
    assert parser.accept_symbol(")") is None
    assert parser.accept_word("a") is None


def test_accept_and_expect() -> None:
    parser = Calc("( max")
    assert parser.accept_symbol(")") is None
    assert parser.accept_symbol("(") is not None
    with pytest.raises(InputError, match=r"formula: expected min at position 3, found 'max'"):
        parser.expect_word("min")
    assert parser.expect_word("max").text == "max"
    with pytest.raises(InputError, match=r"expected '\)' at position 6, found the end of the formula"):
        parser.expect_symbol(")")


def test_nesting_is_limited() -> None:
    assert calc("(" * 5 + "1" + ")" * 5) == 1
    assert fails("(" * 6 + "1" + ")" * 6) == "formula: the formula is nested more than 5 levels deep at position 6"
    assert fails("-" * 6 + "1") == "formula: the formula is nested more than 5 levels deep at position 6"
    parser = Calc("((1))")
    parser.parse()
    assert parser.nesting.depth == 0  # every level is left again


def test_nesting_is_left_again_after_an_error() -> None:
    parser = Calc("((1 +")
    with pytest.raises(InputError):
        parser.parse()
    assert parser.nesting.depth == 0


# -- limits ---------------------------------------------------------------------------------


def test_length_limit() -> None:
    limits = Limits(max_length=5)
    source = SourceText.of("123456", "$x")
    limits.check_length("12345", "value", source.error)
    with pytest.raises(InputError) as info:
        limits.check_length("123456", "value", source.error)
    assert str(info.value) == "$x: the value is 6 characters long; the limit is 5"
    assert info.value.detail == {"field": "$x"}


def test_recursion_is_reported_as_too_deep() -> None:
    def down(n: int) -> int:
        return down(n + 1)

    source = SourceText.of("x", "f")
    with pytest.raises(InputError) as info:
        Limits(max_depth=7).run(lambda: down(0), "formula", source.error)
    assert str(info.value) == "f: the formula is nested too deeply (more than 7 levels)"
    assert Limits().run(lambda: 42, "formula", source.error) == 42


def test_defaults() -> None:
    assert (Limits().max_length, Limits().max_depth) == (vkc.parsing.MAX_LENGTH, vkc.parsing.MAX_DEPTH) == (100_000, 100)


# -- the source text and its messages --------------------------------------------------------


def test_messages_without_excerpt() -> None:
    source = SourceText("a = ?", "filter", "filter")
    assert source.at(4) == "at position 5"
    assert str(source.error("bad")) == "filter: bad"
    assert str(source.error("bad", 4)) == "filter: bad at position 5"
    assert str(source.error("expected x", 4, "'?'")) == "filter: expected x at position 5, found '?'"
    assert str(source.error("bad", 4, hint="try y")) == "filter: bad at position 5; try y"


def test_messages_with_excerpt_and_another_found_joiner() -> None:
    source = SourceText("a eq ?", "$filter", "$filter", excerpt=True, found="; found ")
    assert str(source.error("expected x", 5, "'?'", "try y")) == "$filter: expected x at position 6 in \"a eq ?\"; found '?'; try y"


def test_a_part_keeps_the_offsets_and_wording_with_its_own_label() -> None:
    whole = SourceText.of("A($top=x)", "$expand")
    part = whole.part(7, 8, "$expand: $top of A")
    assert (part.value, part.start, part.stop, part.field) == ("x", 7, 8, "$expand")
    assert str(part.error("bad", 7)) == "$expand: $top of A: bad at position 8"
    assert SourceText("abc", "f", "f").stop == 3


def test_excerpt_cuts_long_texts_around_the_position() -> None:
    assert excerpt("short", 2) == '"short"'
    text = "".join(chr(ord("a") + i % 26) for i in range(300))
    middle = excerpt(text, 150)
    assert middle == '"...' + text[100:200] + '..."'
    assert excerpt(text, 3) == '"' + text[:100] + '..."'
    assert excerpt(text, 299) == '"...' + text[200:] + '"'


def test_phrases() -> None:
    assert shorten("x" * 40) == "x" * 40
    assert shorten("x" * 41) == "x" * 37 + "..."
    assert literal_phrase(True) == "true"
    assert literal_phrase(False, true="TRUE", false="FALSE") == "FALSE"
    assert literal_phrase(None) == "null"
    assert literal_phrase(2.5) == "the number 2.5"
    assert literal_phrase("y" * 50) == f"the string {'y' * 37 + '...'!r}"
    assert literal_phrase([1]) is None


# -- the kernel rule ------------------------------------------------------------------------------


def test_the_toolkit_imports_nothing_from_vkc_but_errors() -> None:
    package = Path(vkc.parsing.__file__).parent
    imported: set[str] = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
    outside = {name for name in imported if (name == "vkc" or name.startswith("vkc.")) and not name.startswith("vkc.parsing")}
    assert outside == {"vkc.errors"}
