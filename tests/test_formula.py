"""Tests of the fixest-style formula parser (migflows.models.formula)."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migflows.errors import FormulaSyntaxError, ModelSpecificationError
from migflows.models.formula import Call, Formula, Interaction, Variable, parse_formula


def test_gravity_formula_with_three_fixed_effects():
    f = parse_formula("flow ~ log_wage_ratio + log_dist | orig + dest + year")
    assert f.depvar == "flow"
    assert f.terms == (Variable("log_wage_ratio"), Variable("log_dist"))
    assert f.fixed_effects == (("orig",), ("dest",), ("year",))
    assert f.raw == "flow ~ log_wage_ratio + log_dist | orig + dest + year"
    assert f.variables == ("log_wage_ratio", "log_dist", "orig", "dest", "year")


def test_interacted_fixed_effects():
    f = parse_formula("flow ~ x | orig^year + dest^year + orig^dest")
    assert f.fixed_effects == (("orig", "year"), ("dest", "year"), ("orig", "dest"))
    assert f.fixed_effect_names == ("orig^year", "dest^year", "orig^dest")
    assert f.has_fixed_effects


def test_constant_only_with_fixed_effect():
    f = parse_formula("y ~ 1 | fe")
    assert f.terms == ()
    assert f.intercept
    assert f.fixed_effects == (("fe",),)
    assert str(f) == "y ~ 1 | fe"


def test_no_fixed_effects_and_intercept_removal():
    assert parse_formula("y ~ x1 + x2").fixed_effects == ()
    assert parse_formula("y ~ x1 + x2").intercept
    assert not parse_formula("y ~ 0 + x").intercept
    assert not parse_formula("y ~ x - 1").intercept
    assert str(parse_formula("y ~ x - 1")) == "y ~ 0 + x"


def test_i_interaction_fixest_semantics():
    f = parse_formula("flow ~ i(period, log_wage_ratio, ref=2010) + log_dist | orig + dest")
    assert f.terms[0] == Interaction("period", "log_wage_ratio", ref=(2010,))
    assert f.terms[0].variables == ("period", "log_wage_ratio")
    several = parse_formula("y ~ i(year, x, ref=c(2010, 2011))").terms[0]
    assert several == Interaction("year", "x", ref=(2010, 2011))
    dummies = parse_formula("y ~ i(region, ref='astana_city')").terms[0]
    assert dummies == Interaction("region", None, ref=("astana_city",))
    assert parse_formula("y ~ i(year, var=x)").terms[0] == Interaction("year", "x")


def test_calls_are_kept_unevaluated():
    f = parse_formula("log(flow) ~ log(dist) + lag(wage, 2) | orig")
    assert f.depvar == "log(flow)"
    assert f.terms == (Call("log", ("dist",)), Call("lag", ("wage", 2)))
    assert f.terms[1].variables == ("wage",)
    assert f.term_names == ("log(dist)", "lag(wage, 2)")


def test_duplicates_are_removed_in_order():
    f = parse_formula("y ~ b + a + b | f + g + f")
    assert f.term_names == ("b", "a")
    assert f.fixed_effects == (("f",), ("g",))


def test_whitespace_is_irrelevant():
    assert parse_formula("y~x|a^b") == parse_formula("  y  ~  x  |  a ^ b ")


@pytest.mark.parametrize(
    ("formula", "match"),
    [
        ("", "the formula is empty"),
        ("flow x", "no '~'"),
        ("~ x", "expected the dependent variable"),
        ("y ~ ", r"expected a regressor \(or 1\), found the end"),
        ("y ~ x + + z", "expected a regressor after '\\+', found '\\+' \\(position 8\\)"),
        ("y ~ x * z", "unexpected character '\\*'"),
        ("y ~ x | a^", "expected a fixed-effect variable after '\\^'"),
        ("y ~ a^b", "only allowed among fixed effects"),
        ("y ~ log(x", "expected '\\)' to close log\\("),
        ("y ~ 2", "a bare number '2'"),
        ("y ~ x | f | g", "expected '~' between the endogenous regressors and the instruments"),
        ("y ~ x | 1", "a constant is not a fixed effect"),
        ("y ~ x | a^a", "repeats a variable"),
        ("y ~ i(g, x, y)", "i\\(\\) takes a factor"),
        ("y ~ i(g, foo=1)", "i\\(\\) does not take foo"),
        ("y ~ log(log(x))", "nested function calls"),
        ("y + z ~ x", "several dependent variables"),
        ("y ~ x - z", "removing a regressor"),
        ("y ~ f(x, a=c(1, 2))", "c\\(\\.\\.\\.\\) is only allowed"),
    ],
)
def test_syntax_errors_quote_formula_and_point(formula, match):
    with pytest.raises(FormulaSyntaxError, match=match) as info:
        parse_formula(formula)
    message = str(info.value)
    assert repr(formula) in message
    assert message.splitlines()[-1].strip() in {"^", ""} or "^" in message


def test_error_pointer_column():
    with pytest.raises(FormulaSyntaxError) as info:
        parse_formula("y ~ x + + z")
    lines = str(info.value).splitlines()
    assert lines[1] == "  y ~ x + + z"
    assert lines[2].index("^") == 2 + 8


def test_error_is_a_model_specification_error():
    with pytest.raises(ModelSpecificationError, match="must be a string"):
        parse_formula(42)  # type: ignore[arg-type]


def test_formula_is_frozen_and_hashable():
    f = parse_formula("y ~ x | a")
    with pytest.raises(AttributeError):
        f.depvar = "z"  # type: ignore[misc]
    assert {f: 1}[parse_formula("y~x|a")] == 1


# ---------------------------------------------------------------- property tests (round trip)
_reserved = {"i", "c"} | set(keyword.kwlist)
names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: s not in _reserved)
values = st.one_of(
    st.integers(min_value=0, max_value=3000),
    names,
    st.text(alphabet="abc -", min_size=1, max_size=4),
)
variables = names.map(Variable)
calls = st.builds(
    lambda f, x, k: Call(f, (x,) if k is None else (x, k)),
    st.sampled_from(["log", "lag", "log1p", "diff"]),
    names,
    st.none() | st.integers(min_value=1, max_value=5),
)
interactions = st.builds(
    lambda fac, var, ref: Interaction(fac, var, tuple(ref)),
    names,
    st.none() | names,
    st.lists(values, max_size=2, unique=True),
)
terms = st.one_of(variables, calls, interactions)
fixefs = st.lists(names, min_size=1, max_size=3, unique=True).map(tuple)


@st.composite
def formulas(draw):
    ts = tuple(dict.fromkeys(draw(st.lists(terms, max_size=4))))
    fes = tuple(dict.fromkeys(draw(st.lists(fixefs, max_size=3))))
    intercept = draw(st.booleans())
    return Formula(draw(names), ts, fes, intercept)


@settings(max_examples=300, deadline=None)
@given(formulas())
def test_round_trip_through_string(f):
    text = str(f)
    parsed = parse_formula(text)
    assert parsed == f
    assert str(parsed) == text
    assert parsed.raw == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="yx~|+^()=, 01ab", max_size=15))
def test_arbitrary_text_parses_or_raises_named_error(text):
    try:
        f = parse_formula(text)
    except FormulaSyntaxError:
        return
    assert parse_formula(str(f)) == f


def test_instrumental_variable_part():
    f = parse_formula("y ~ w + lag(v, 1) | entity | x ~ z1 + lag(x, 1)")
    assert [str(t) for t in f.endogenous] == ["x"]
    assert [str(t) for t in f.instruments] == ["z1", "lag(x, 1)"]
    assert f.fixed_effect_names == ("entity",)
    assert str(f) == "y ~ w + lag(v, 1) | entity | x ~ z1 + lag(x, 1)"
    assert parse_formula(str(f)) == f
    g = parse_formula("y ~ w | x ~ z")  # no fixed effects
    assert g.fixed_effects == () and [str(t) for t in g.endogenous] == ["x"]
    assert "z" in g.variables
    with pytest.raises(FormulaSyntaxError, match="only 1 instrument"):
        parse_formula("y ~ w | x1 + x2 ~ z")
    with pytest.raises(FormulaSyntaxError, match="unexpected '\\|'"):
        parse_formula("y ~ w | x ~ z | fe")
