"""Every bad command-line value is one line that names the flag, the value and what is valid."""

import pytest

from tests.examples.helpers import load_example


@pytest.fixture(scope="module")
def flagship():
    return load_example("mnist_wgan_gp")


BAD_FLAGS = [
    (["--checkpoint-every", "0"], "argument --checkpoint-every: 0 is not a positive integer"),
    (["--sample-every", "-1"], "argument --sample-every: -1 is not a positive integer"),
    (["--log-every", "abc"], "argument --log-every: 'abc' is not an integer"),
    (["--iterations", "0"], "argument --iterations: 0 is not a positive integer"),
    (["--batch-size", "0"], "argument --batch-size: 0 is not a positive integer"),
    (["--n-critic", "0"], "argument --n-critic: 0 is not a positive integer"),
    (["--width", "0"], "argument --width: 0 is not a positive integer"),
    (["--latent-dim", "-3"], "argument --latent-dim: -3 is not a positive integer"),
    (["--lr", "0"], "argument --lr: 0 is not a learning rate; expected a positive number up to 10"),
    (["--lr", "inf"], "argument --lr: inf is not a learning rate"),
    (["--lr", "nan"], "argument --lr: nan is not a learning rate"),
    (["--lr", "1e308"], "argument --lr: 1e308 is not a learning rate; expected a positive number up to 10"),
    (["--seed", "1180591620717411303424"], "argument --seed: 1180591620717411303424 is not a valid seed; expected an integer from 0 to 2**62"),
    (["--seed", "-1"], "argument --seed: -1 is not a valid seed"),
    (["--gp-weight", "-1"], "argument --gp-weight: -1 is not a finite, non-negative number"),
    (["--gp-weight", "inf"], "argument --gp-weight: inf is not a finite, non-negative number"),
    (["--betas", "1.0", "0.9"], "argument --betas: 1.0 is outside [0, 1)"),
    (["--ema", "1.0"], "argument --ema: 1.0 is outside [0, 1)"),
    (["--eval-every", "-5"], "argument --eval-every: -5 is negative; expected 0 (off) or a positive integer"),
    (["--eval-samples", "1"], "argument --eval-samples: 1 is too few samples to score; expected at least 2"),
    (["--keep-checkpoints", "-1"], "argument --keep-checkpoints: -1 is negative"),
    (["--image-size", "48"], "argument --image-size: invalid choice: 48"),
    (["--digits", "12"], "argument --digits: digits '12' are invalid; expected digits 0-9"),
    (["--critic-norm", "bogus"], "argument --critic-norm: invalid choice: 'bogus'"),
    (["--precision", "fp8"], "argument --precision: invalid choice: 'fp8'"),
    (["--capture", "always"], "argument --capture: invalid choice: 'always'"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_FLAGS, ids=[" ".join(a) for a, _ in BAD_FLAGS])
def test_a_bad_flag_is_one_line_naming_it(flagship, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        flagship.parse_args(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err and "Traceback" not in err


CLI_CASES = [
    (["sample", "--checkpoint", "x", "--num", "0", "--out", "a.png"], "argument --num: 0 is not a positive integer"),
    (["sample", "--checkpoint", "x", "--num", "2", "--out", "a.png", "--nrow", "-1"], "argument --nrow: -1 is not a positive integer"),
    (["evaluate", "--samples", "x.pt", "--kid-subsets", "0"], "argument --kid-subsets: 0 is not a positive integer"),
    (["evaluate", "--samples", "x.pt", "--digit", "11"], "argument --digit: invalid choice: 11"),
]


@pytest.mark.parametrize(("argv", "message"), CLI_CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CLI_CASES])
def test_the_cli_reports_bad_flags_in_one_line(capsys, argv, message):
    from ganlib.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
