"""``study --search``: specs read in one line each, seeded draws, the search table and figures,
failing cells listed apart, and the line that says how to install Ray Tune."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ganlib.cli.tune as tune_module
from ganlib.cli import main
from ganlib.cli.search import draw, parse_search, setting_argv

TOY = ["study", "--data", "ring", "--objectives", "hinge", "--critic-norms", "none", "--seeds", "1", "--iterations", "2", "--width", "8",
       "--batch-size", "32", "--device", "cpu", "--workers", "1"]


@pytest.mark.parametrize("text, says", [
    ("lr", "it needs a name, '=' and a spec"),
    ("lr=normal:0:1", "the kind 'normal' is unknown"),
    ("lr=uniform:1", "needs two numbers lo:hi"),
    ("lr=uniform:2:1", "not finite with lo <= hi"),
    ("lr=loguniform:0:1", "loguniform needs positive bounds"),
    ("n-critic=int:1.5:3", "int: needs integer bounds"),
    ("lr=choice:", "lists no value"),
    ("learning-rate=uniform:0:1", "--learning-rate is not a train option"),
    ("lr.key=uniform:0:1", "--lr takes no KEY=VALUE"),
])
def test_a_bad_spec_is_one_line_naming_it(text, says):
    from ganlib.cli.search import train_options

    options, key_value = train_options()
    with pytest.raises(ValueError, match="--search") as raised:
        parse_search(text, options, key_value)
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_specs_map_the_unit_interval_by_hand():
    assert parse_search("n-critic=int:1:5").value_at(0.0) == "1"
    assert parse_search("n-critic=int:1:5").value_at(0.9999) == "5"  # both ends included
    assert parse_search("lr=loguniform:1e-4:1e-2").value_at(0.5) == "0.001"  # the middle in log
    assert parse_search("penalty-arg.weight=uniform:0:10").value_at(0.25) == "2.5"
    assert [parse_search("norm=choice:a,b,c").value_at(u) for u in (0.0, 0.34, 0.99)] == ["a", "b", "c"]
    spec = parse_search("penalty-arg.r1.weight=choice:5")
    assert (spec.flag, spec.key) == ("--penalty-arg", "r1.weight") and setting_argv([spec], {spec.name: "5"}) == ["--penalty-arg", "r1.weight=5"]


@given(st.floats(0, 1), st.integers(-5, 5), st.integers(0, 6))
def test_every_point_maps_inside_the_box(u, low, span):
    assert low <= int(parse_search(f"n-critic=int:{low}:{low + span}").value_at(u)) <= low + span
    assert low - 1e-9 <= float(parse_search(f"lr=uniform:{low}:{low + span}").value_at(u)) <= low + span + 1e-6


@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_a_seeded_draw_is_the_same_twice_and_another_seed_differs(sampler):
    specs = [parse_search("lr=loguniform:1e-5:1e-3"), parse_search("n-critic=int:1:5")]
    assert draw(specs, 8, seed=3, sampler=sampler) == draw(specs, 8, seed=3, sampler=sampler)
    assert draw(specs, 8, seed=3, sampler=sampler) != draw(specs, 8, seed=4, sampler=sampler)


def test_a_search_study_draws_the_same_settings_twice_and_writes_its_figures(tmp_path):
    argv = [*TOY, "--search", "lr=loguniform:1e-4:1e-3", "--search", "n-critic=int:1:3", "--trials", "3", "--search-seed", "5"]
    for out in ("a", "b"):
        assert main([*argv, "--out", str(tmp_path / out)]) == 0
    drawn = draw([parse_search("lr=loguniform:1e-4:1e-3"), parse_search("n-critic=int:1:3")], 3, seed=5)
    for study in ("a", "b"):
        for trial, setting in enumerate(drawn):
            config = json.loads((tmp_path / study / "runs" / f"hinge-none-t{trial:02d}-s0" / "config.json").read_text())
            assert (config["lr"], config["n_critic"]) == (float(setting["lr"]), int(setting["n-critic"]))
    table = (tmp_path / "a" / "table.md").read_text()
    assert "| hinge-none | 3 |" in table and "best trial's settings" in table
    rows = json.loads((tmp_path / "a" / "table.json").read_text())
    assert sorted(row["trial"] for row in rows) == [0, 1, 2] and all(row["group"] == "hinge-none" for row in rows)
    for name in ("budget.png", "distribution.png"):
        assert (tmp_path / "a" / name).stat().st_size > 1000


def test_a_failing_cell_is_one_line_of_the_table_and_the_others_finish(tmp_path):
    argv = [*TOY, "--search", "penalty-arg.weight=choice:10,-1", "--trials", "4", "--objectives", "wgan-gp", "--out", str(tmp_path)]
    values = [setting["penalty-arg.weight"] for setting in draw([parse_search("penalty-arg.weight=choice:10,-1")], 4)]
    assert {"10", "-1"} == set(values)  # the seed draws both: some cells fail, some finish
    assert main(argv) == 0
    table = (tmp_path / "table.md").read_text()
    failed = [f"wgan-gp-none-t{t:02d}-s0" for t, v in enumerate(values) if v == "-1"]
    for name in failed:
        assert f"| {name} | ValueError: penalty 'gp': weight=-1 is invalid" in table
    assert len(json.loads((tmp_path / "table.json").read_text())) == values.count("10")


@pytest.mark.parametrize("argv, says", [
    (["--trials", "3"], "--trials 3 draws settings of --search"),
    (["--pbt", "--search", "width=int:4:8"], "width define the run and cannot change"),
    (["--pbt"], "give them with --search"),
    (["--search", "lr=uniform:0:1", "--search", "lr=uniform:0:2"], "names one setting twice"),
    (["--address", "auto", "--out", "relative/study"], "is relative"),
])
def test_a_bad_study_is_one_line(argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*TOY, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1


def test_without_ray_workers_two_says_how_to_install_it(monkeypatch, capsys, tmp_path, caplog):
    monkeypatch.setattr(tune_module, "ray_installed", lambda: False)
    argv = [*TOY[:-2], "--out", str(tmp_path / "s")]  # TOY without its --workers 1
    assert main([*argv, "--workers", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert 'pip install "ganlib[ray]"' in err and "--workers 2" in err and len(err.splitlines()) == 1
    caplog.set_level("INFO")
    assert main(argv) == 0  # no --workers: one at a time in this process
    assert "cells run one at a time in this process" in caplog.text
