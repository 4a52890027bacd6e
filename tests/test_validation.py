import pytest

from ganlib._validation import check_int


@pytest.mark.parametrize("value", [1, 5])
def test_valid_values_are_returned(value):
    assert check_int("n", value) == value


@pytest.mark.parametrize(("value", "kwargs", "match"), [
    (0, {}, r"n=0 is invalid; expected a positive integer"),
    (True, {}, r"n=True is invalid"),  # bools are ints in Python, but never a count
    (2.0, {}, r"n=2.0 is invalid"),
    (-1, {"minimum": 0}, r"expected a non-negative integer"),
    (9, {"maximum": 8, "expected": "at most 8"}, r"n=9 is invalid; expected at most 8"),
])
def test_invalid_values_name_the_argument_and_the_value(value, kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_int("n", value, **kwargs)
