"""Parse fixest-style model formulas into frozen specification objects.

The grammar follows R ``fixest`` / pyfixest for the parts migration models need::

    formula  := depvar "~" rhs [ "|" fixef ( "+" fixef )* ] [ "|" rhs "~" rhs ]  (IV last)
    rhs      := "1" | "0" | term ( ("+" | "-") term )*
    term     := name | call | "i(" factor [ "," var ] [ "," "ref" "=" value ] ")"
    call     := name "(" arg ( "," arg )* ")"        e.g. log(x), lag(x, 2)
    fixef    := name ( "^" name )*                   e.g. orig^year

Nothing is evaluated here: calls such as ``log(x)`` or ``lag(x, 2)`` stay named terms that the
data layer evaluates, and ``i(period, var)`` records the interaction that the data layer expands
(fixest semantics: one slope of ``var`` per level of ``period``, the ``ref`` levels left out).

Examples
--------
>>> f = parse_formula("flow ~ log_wage_ratio + log_dist | orig^year + dest^year + orig^dest")
>>> f.depvar
'flow'
>>> [str(t) for t in f.terms]
['log_wage_ratio', 'log_dist']
>>> f.fixed_effects
(('orig', 'year'), ('dest', 'year'), ('orig', 'dest'))
>>> str(parse_formula("y~i(year,x,ref=2015)|orig"))
'y ~ i(year, x, ref=2015) | orig'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from migflows.errors import FormulaSyntaxError

__all__ = [
    "Call",
    "Formula",
    "Interaction",
    "Term",
    "Value",
    "Variable",
    "parse_formula",
]

Value = int | float | str
"""A literal argument value inside a formula call (number or string)."""

_TOKEN_RE: Final = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<op>[~|+\-^(),=])
    """,
    re.VERBOSE,
)


def _format_value(value: Value) -> str:
    if isinstance(value, str):
        return repr(value) if not value.isidentifier() else value
    return repr(value)


@dataclass(frozen=True, slots=True)
class Variable:
    """A plain regressor: a column of the data, used as is.

    Examples
    --------
    >>> str(Variable("log_dist"))
    'log_dist'
    """

    name: str

    @property
    def variables(self) -> tuple[str, ...]:
        """Data columns this term reads."""
        return (self.name,)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Call:
    """A function applied to data columns, kept unevaluated (``log(x)``, ``lag(x, 2)``).

    ``args`` holds positional arguments (column names as ``str`` from bare identifiers,
    numbers as ``int``/``float``, quoted strings as ``str`` with ``quoted`` recording which);
    ``kwargs`` holds ``name=value`` pairs in the order written.

    Examples
    --------
    >>> str(Call("lag", ("x", 2)))
    'lag(x, 2)'
    """

    function: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...] = ()
    quoted: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.quoted:  # default: no argument was a quoted string
            object.__setattr__(self, "quoted", (False,) * len(self.args))

    @property
    def variables(self) -> tuple[str, ...]:
        """Data columns this term reads (its bare-identifier positional arguments)."""
        return tuple(
            a for a, q in zip(self.args, self.quoted, strict=True) if isinstance(a, str) and not q
        )

    def __str__(self) -> str:
        parts = [
            repr(a) if q else (a if isinstance(a, str) else repr(a))
            for a, q in zip(self.args, self.quoted, strict=True)
        ]
        parts += [f"{k}={_format_value(v)}" for k, v in self.kwargs]
        return f"{self.function}({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class Interaction:
    """fixest ``i(factor, var, ref=...)``: one coefficient per level of ``factor``.

    With ``var`` the term is ``var`` times a dummy for each level of ``factor`` (period-specific
    slopes); without it, the dummies themselves. Levels in ``ref`` are left out.

    Examples
    --------
    >>> str(Interaction("period", "log_wage_ratio", ref=(2010,)))
    'i(period, log_wage_ratio, ref=2010)'
    """

    factor: str
    var: str | None = None
    ref: tuple[Value, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        """Data columns this term reads."""
        return (self.factor,) if self.var is None else (self.factor, self.var)

    def __str__(self) -> str:
        parts = [self.factor] + ([self.var] if self.var is not None else [])
        if len(self.ref) == 1:
            parts.append(f"ref={_format_value(self.ref[0])}")
        elif self.ref:
            parts.append(f"ref=c({', '.join(_format_value(r) for r in self.ref)})")
        return f"i({', '.join(parts)})"


Term = Variable | Call | Interaction
"""Any right-hand-side term."""


@dataclass(frozen=True, slots=True)
class Formula:
    """A parsed fixest-style formula.

    Attributes
    ----------
    depvar : str
        Dependent variable (a column name, or a call such as ``log(flow)`` kept as text).
    terms : tuple of Term
        Regressors in the order written (duplicates removed, first kept).
    fixed_effects : tuple of tuple of str
        One tuple per absorbed fixed effect; interactions are tuples of several names
        (``orig^year`` -> ``("orig", "year")``).
    intercept : bool
        False when the formula says ``0`` or ``-1``; irrelevant with fixed effects.
    endogenous, instruments : tuple of Term
        The instrumental-variable part ``| endog ~ instruments`` (fixest syntax, last part:
        ``y ~ exog | fe | endog ~ z`` or ``y ~ exog | endog ~ z``); empty without one.
    raw : str
        The formula as the user wrote it (not part of equality).

    Examples
    --------
    >>> f = parse_formula("y ~ 1 | fe")
    >>> f.terms, f.fixed_effects
    ((), (('fe',),))
    >>> parse_formula(str(f)) == f
    True
    """

    depvar: str
    terms: tuple[Term, ...]
    fixed_effects: tuple[tuple[str, ...], ...] = ()
    intercept: bool = True
    raw: str = field(default="", compare=False)
    endogenous: tuple[Term, ...] = ()
    instruments: tuple[Term, ...] = ()

    @property
    def term_names(self) -> tuple[str, ...]:
        """Canonical text of each term."""
        return tuple(str(t) for t in self.terms)

    @property
    def fixed_effect_names(self) -> tuple[str, ...]:
        """Fixed effects as fixest writes them (``orig^year``)."""
        return tuple("^".join(fe) for fe in self.fixed_effects)

    @property
    def variables(self) -> tuple[str, ...]:
        """Every data column named on the right-hand side and in the fixed effects (in order)."""
        seen: dict[str, None] = {}
        for t in self.terms:
            seen.update(dict.fromkeys(t.variables))
        for fe in self.fixed_effects:
            seen.update(dict.fromkeys(fe))
        for t in (*self.endogenous, *self.instruments):
            seen.update(dict.fromkeys(t.variables))
        return tuple(seen)

    @property
    def has_fixed_effects(self) -> bool:
        """Whether anything is absorbed."""
        return bool(self.fixed_effects)

    def __str__(self) -> str:
        if self.terms:
            rhs = " + ".join(self.term_names)
            if not self.intercept:
                rhs = "0 + " + rhs
        else:
            rhs = "1" if self.intercept else "0"
        out = f"{self.depvar} ~ {rhs}"
        if self.fixed_effects:
            out += " | " + " + ".join(self.fixed_effect_names)
        if self.endogenous:
            out += " | " + " + ".join(str(t) for t in self.endogenous)
            out += " ~ " + " + ".join(str(t) for t in self.instruments)
        return out


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "name", "string", "op", "end"
    text: str
    pos: int


class _Parser:
    """Recursive-descent parser over a token list; errors point at the offending position."""

    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.tokens = self._tokenize(formula)
        self.i = 0

    # -- helpers ---------------------------------------------------------------------------
    def error(self, message: str, pos: int, hint: str = "") -> FormulaSyntaxError:
        pointer = " " * (pos + 2) + "^"
        text = (
            f"cannot parse formula {self.formula!r}: {message} (position {pos})\n"
            f"  {self.formula}\n{pointer}"
        )
        if hint:
            text += f"\n{hint}"
        return FormulaSyntaxError(text)

    def _tokenize(self, formula: str) -> list[_Token]:
        tokens: list[_Token] = []
        pos = 0
        while pos < len(formula):
            m = _TOKEN_RE.match(formula, pos)
            if m is None:
                raise self.error(
                    f"unexpected character {formula[pos]!r}",
                    pos,
                    "Allowed: names, numbers, quoted strings and ~ | + - ^ ( ) , =. "
                    "Interactions of regressors are written i(factor, var); "
                    "of fixed effects a^b.",
                )
            kind = m.lastgroup or ""
            if kind != "ws":
                tokens.append(_Token(kind, m.group(), pos))
            pos = m.end()
        tokens.append(_Token("end", "", len(formula)))
        return tokens

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expect_op(self, op: str, what: str) -> _Token:
        t = self.tok
        if t.kind != "op" or t.text != op:
            found = "the end of the formula" if t.kind == "end" else repr(t.text)
            raise self.error(f"expected {op!r} {what}, found {found}", t.pos)
        return self.advance()

    def expect_name(self, what: str) -> _Token:
        t = self.tok
        if t.kind != "name":
            found = "the end of the formula" if t.kind == "end" else repr(t.text)
            raise self.error(f"expected {what}, found {found}", t.pos)
        return self.advance()

    def at_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> Formula:
        if not self.formula.strip():
            raise self.error("the formula is empty", 0, "Write it as 'y ~ x1 + x2 | fe1 + fe2'.")
        if "~" not in self.formula:
            raise self.error(
                "no '~' separating the dependent variable from the regressors",
                0,
                "Write it as 'y ~ x1 + x2 | fe1 + fe2'.",
            )
        depvar = self.parse_depvar()
        self.expect_op("~", "after the dependent variable")
        terms, intercept = self.parse_rhs()
        fixed_effects: tuple[tuple[str, ...], ...] = ()
        endog: tuple[Term, ...] = ()
        instr: tuple[Term, ...] = ()
        if self.at_op("|"):
            self.advance()
            if self.iv_ahead():
                endog, instr = self.parse_iv()
            else:
                fixed_effects = self.parse_fixef()
                if self.at_op("|"):
                    self.advance()
                    endog, instr = self.parse_iv()
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}", self.tok.pos)
        return Formula(depvar, terms, fixed_effects, intercept, self.formula, endog, instr)

    def iv_ahead(self) -> bool:
        """Whether the part after this '|' is ``endog ~ instruments`` (has a '~')."""
        for t in self.tokens[self.i :]:
            if t.kind == "op" and t.text == "|":
                return False
            if t.kind == "op" and t.text == "~":
                return True
        return False

    def parse_iv(self) -> tuple[tuple[Term, ...], tuple[Term, ...]]:
        start = self.tok.pos
        endog, _ = self.parse_rhs()
        self.expect_op("~", "between the endogenous regressors and the instruments")
        instr, _ = self.parse_rhs()
        if not endog or not instr:
            raise self.error(
                "the IV part needs endogenous regressors and instruments",
                start,
                "Write it as '| endog ~ z1 + z2'.",
            )
        if len(instr) < len(endog):
            raise self.error(
                f"{len(endog)} endogenous regressor(s) but only {len(instr)} instrument(s): "
                "the model is not identified",
                start,
                "Give at least as many instruments as endogenous regressors.",
            )
        return endog, instr

    def parse_depvar(self) -> str:
        t = self.tok
        if t.kind != "name":
            found = "'~'" if self.at_op("~") else repr(t.text)
            raise self.error(f"expected the dependent variable, found {found}", t.pos)
        term = self.parse_term()
        if self.at_op("+"):
            raise self.error(
                "several dependent variables are not supported", self.tok.pos, "Fit one at a time."
            )
        return str(term)

    def parse_rhs(self) -> tuple[tuple[Term, ...], bool]:
        terms: dict[Term, None] = {}
        intercept = True
        sign = "+"
        first = True
        while True:
            t = self.tok
            if t.kind == "number":
                self.advance()
                if t.text not in {"0", "1"}:
                    raise self.error(f"a bare number {t.text!r} is not a regressor", t.pos)
                if t.text == "0" or sign == "-":
                    intercept = False
                elif t.text == "1":
                    intercept = True
            elif t.kind == "name":
                if sign == "-":
                    raise self.error(
                        "removing a regressor with '-' is not supported", t.pos, "Only '-1' is."
                    )
                terms.setdefault(self.parse_term(), None)
            else:
                found = "the end of the formula" if t.kind == "end" else repr(t.text)
                what = "a regressor (or 1)" if first else "a regressor after '+'"
                raise self.error(f"expected {what}, found {found}", t.pos)
            first = False
            if self.at_op("+", "-"):
                sign = self.advance().text
                continue
            break
        return tuple(terms), intercept

    def parse_term(self) -> Term:
        name = self.expect_name("a variable name")
        if not self.at_op("("):
            if self.at_op("^"):
                raise self.error(
                    "'^' interactions are only allowed among fixed effects (after '|')",
                    self.tok.pos,
                    "For period-specific slopes write i(period, var).",
                )
            return Variable(name.text)
        self.advance()
        args: list[Value] = []
        quoted: list[bool] = []
        kwargs: list[tuple[str, Value]] = []
        kw_values: dict[str, tuple[Value, ...]] = {}
        if self.at_op(")"):
            raise self.error(f"{name.text}() needs at least one argument", self.tok.pos)
        while True:
            t = self.tok
            nxt = self.tokens[min(self.i + 1, len(self.tokens) - 1)]
            if t.kind == "name" and nxt.kind == "op" and nxt.text == "=":
                self.advance()
                self.advance()
                values = self.parse_values()
                if t.text in kw_values:
                    raise self.error(f"argument {t.text!r} given twice", t.pos)
                kw_values[t.text] = values
                if len(values) > 1 and name.text != "i":
                    raise self.error(
                        f"c(...) is only allowed in i(..., ref=c(...)), not in {name.text}()",
                        t.pos,
                    )
                kwargs.append((t.text, values[0]))
            else:
                if kwargs:
                    raise self.error("positional argument after a keyword argument", t.pos)
                value, was_quoted = self.parse_value()
                args.append(value)
                quoted.append(was_quoted)
            if self.at_op(","):
                self.advance()
                continue
            self.expect_op(")", f"to close {name.text}(")
            break
        if name.text == "i":
            return self._interaction(name, args, quoted, kw_values)
        if not args or not isinstance(args[0], str) or quoted[0]:
            raise self.error(
                f"the first argument of {name.text}() must be a variable name", name.pos
            )
        return Call(name.text, tuple(args), tuple(kwargs), tuple(quoted))

    def _interaction(
        self,
        name: _Token,
        args: list[Value],
        quoted: list[bool],
        kw: dict[str, tuple[Value, ...]],
    ) -> Interaction:
        unknown = sorted(set(kw) - {"ref", "var"})
        if unknown:
            raise self.error(
                f"i() does not take {', '.join(unknown)}", name.pos, "Use i(factor, var, ref=...)."
            )
        bad = [a for a, q in zip(args, quoted, strict=True) if not isinstance(a, str) or q]
        if bad or not 1 <= len(args) <= 2:
            raise self.error(
                "i() takes a factor and optionally a variable, both as names", name.pos
            )
        var = str(args[1]) if len(args) == 2 else None
        if "var" in kw:
            if var is not None or len(kw["var"]) != 1 or not isinstance(kw["var"][0], str):
                raise self.error("i() got 'var' twice or not as a name", name.pos)
            var = kw["var"][0]
        return Interaction(str(args[0]), var, kw.get("ref", ()))

    def parse_values(self) -> tuple[Value, ...]:
        """Parse a single value or ``c(v1, v2, ...)``."""
        t = self.tok
        nxt = self.tokens[min(self.i + 1, len(self.tokens) - 1)]
        if t.kind == "name" and t.text == "c" and nxt.kind == "op" and nxt.text == "(":
            self.advance()
            self.advance()
            values = [self.parse_value()[0]]
            while self.at_op(","):
                self.advance()
                values.append(self.parse_value()[0])
            self.expect_op(")", "to close c(")
            return tuple(values)
        return (self.parse_value()[0],)

    def parse_value(self) -> tuple[Value, bool]:
        t = self.tok
        negative = False
        if self.at_op("-"):
            negative = True
            self.advance()
            t = self.tok
            if t.kind != "number":
                raise self.error("expected a number after '-'", t.pos)
        if t.kind == "number":
            self.advance()
            number: int | float = int(t.text) if t.text.isdigit() else float(t.text)
            return (-number if negative else number), False
        if t.kind == "string":
            self.advance()
            return t.text[1:-1], True
        if t.kind == "name":
            self.advance()
            if self.at_op("("):
                raise self.error(
                    "nested function calls are not supported inside a call",
                    self.tok.pos,
                    "Create the column first (e.g. with the data layer), then use it.",
                )
            return t.text, False
        found = "the end of the formula" if t.kind == "end" else repr(t.text)
        raise self.error(f"expected an argument, found {found}", t.pos)

    def parse_fixef(self) -> tuple[tuple[str, ...], ...]:
        out: dict[tuple[str, ...], None] = {}
        while True:
            t = self.tok
            if t.kind == "number" and t.text in {"0", "1"}:
                raise self.error(
                    "a constant is not a fixed effect", t.pos, "Drop '| 1' or name a variable."
                )
            parts = [self.expect_name("a fixed-effect variable").text]
            while self.at_op("^"):
                self.advance()
                parts.append(self.expect_name("a fixed-effect variable after '^'").text)
            if self.at_op("("):
                raise self.error(
                    "functions are not allowed among fixed effects",
                    self.tok.pos,
                    "Varying slopes (fe[x]) are not supported; interact with '^' instead.",
                )
            if len(set(parts)) != len(parts):
                raise self.error(f"fixed effect {'^'.join(parts)!r} repeats a variable", t.pos)
            out.setdefault(tuple(parts), None)
            if self.at_op("+"):
                self.advance()
                continue
            break
        return tuple(out)


def parse_formula(formula: str) -> Formula:
    """Parse a fixest-style formula.

    Parameters
    ----------
    formula : str
        ``"depvar ~ terms | fixed effects"``; the fixed-effect part is optional and
        ``"y ~ 1 | fe"`` has no regressors.

    Returns
    -------
    Formula
        Frozen, hashable; ``str(result)`` is a canonical formula that parses back to an equal
        object.

    Raises
    ------
    FormulaSyntaxError
        The formula cannot be parsed; the message quotes it and points at the position.

    Examples
    --------
    >>> f = parse_formula("flow ~ log(dist) + i(period, wage, ref=2010) | orig + dest + year")
    >>> [str(t) for t in f.terms]
    ['log(dist)', 'i(period, wage, ref=2010)']
    >>> f.terms[1]
    Interaction(factor='period', var='wage', ref=(2010,))
    >>> f.fixed_effect_names
    ('orig', 'dest', 'year')
    >>> parse_formula("flow ~ x | orig^year").fixed_effects
    (('orig', 'year'),)
    """
    if not isinstance(formula, str):
        raise FormulaSyntaxError(
            f"a formula must be a string such as 'y ~ x | fe', got {type(formula).__name__}"
        )
    return _Parser(formula).parse()
