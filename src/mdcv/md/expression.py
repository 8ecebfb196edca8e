"""A small evaluator of the muparser expressions that :mod:`mdcv.md.pullcv` writes.

GROMACS evaluates a ``transformation`` pull coordinate's expression with muparser;
this module evaluates the same language in numpy, vectorized over frames, so an
exported CV can be checked against its network without running GROMACS. The
language: numbers (``1.5``, ``2e-3``), variables ``x1``, ``x2``, … (the pull
coordinates of lower index: radians for dihedrals), ``+ - * /``, ``^`` (power,
right-associative, binding tighter than a unary sign), parentheses, the functions
``sin cos tanh exp``, assignments ``x7=…`` and comma-separated sequences, whose
value is the last one's. The exporter never writes a sign before ``^``, the one
place where muparser versions disagree about precedence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "exp": np.exp}
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                    r"|(x\d+)|([a-z]\w*)|(.))")


class ExpressionError(ValueError):
    """The expression is outside the language above; the message names the position."""


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        number, var, name, char = m.groups()
        start = m.start(m.lastindex)
        if number is not None:
            out.append(("num", number, start))
        elif var is not None:
            out.append(("var", var, start))
        elif name is not None:
            if name not in FUNCTIONS:
                raise ExpressionError(f"unknown name {name!r} at character {start}; functions: "
                                      f"{sorted(FUNCTIONS)}, variables x1, x2, …")
            out.append(("fun", name, start))
        else:
            if char not in "+-*/^(),=":
                raise ExpressionError(f"unexpected character {char!r} at character {start}")
            out.append(("op", char, start))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    """Recursive descent that evaluates as it parses (left to right, as muparser)."""

    def __init__(self, text: str, variables: dict):
        self.tokens = _tokens(text)
        self.i = 0
        self.vars = variables

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self, kind: str, value: str | None = None) -> str:
        k, v, pos = self.tokens[self.i]
        if k != kind or (value is not None and v != value):
            want = value or kind
            raise ExpressionError(f"expected {want!r} at character {pos}, found {v or 'the end'!r}")
        self.i += 1
        return v

    def sequence(self):
        value = self.assignment()
        while self.peek()[:2] == ("op", ","):
            self.i += 1
            value = self.assignment()
        return value

    def assignment(self):
        kind, name, _ = self.peek()
        if kind == "var" and self.tokens[self.i + 1][:2] == ("op", "="):
            self.i += 2
            self.vars[name] = self.assignment()
            return self.vars[name]
        return self.sum()

    def sum(self):
        value = self.product()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take("op")
            rhs = self.product()
            value = value + rhs if op == "+" else value - rhs
        return value

    def product(self):
        value = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in "*/":
            op = self.take("op")
            rhs = self.unary()
            value = value * rhs if op == "*" else value / rhs
        return value

    def unary(self):
        if self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take("op")
            value = self.unary()
            return -value if op == "-" else value
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[:2] == ("op", "^"):
            self.i += 1
            return base ** self.unary()
        return base

    def atom(self):
        kind, value, pos = self.peek()
        if kind == "num":
            self.i += 1
            return float(value)
        if kind == "var":
            self.i += 1
            if value not in self.vars:
                raise ExpressionError(f"variable {value} at character {pos} has no value "
                                      f"(given: {sorted(self.vars)})")
            return self.vars[value]
        if kind == "fun":
            self.i += 1
            self.take("op", "(")
            arg = self.sum()
            self.take("op", ")")
            return FUNCTIONS[value](arg)
        if (kind, value) == ("op", "("):
            self.i += 1
            inner = self.sum()
            self.take("op", ")")
            return inner
        raise ExpressionError(f"expected a number, variable, function or '(' at character "
                              f"{pos}, found {value or 'the end'!r}")


def evaluate(expression: str, variables: Mapping[int, np.ndarray]) -> np.ndarray:
    """The value of ``expression`` with ``x<i>`` = ``variables[i]`` (arrays over frames).

    Assignments write into a copy of the variables, as muparser writes into GROMACS's
    copy of the lower coordinates' values.
    """
    env = {f"x{int(i)}": np.asarray(v, dtype=np.float64) for i, v in variables.items()}
    parser = _Parser(expression, env)
    value = parser.sequence()
    parser.take("end")
    return value
