"""Round three's classes of MINOR (issue 28): flags that would do nothing, saved configs and
checkpoints trusted too far, paths that exist. Typed builder arguments are ``test_contract.py``.

Each test is a row of the round-3 table in ``docs/guides/testing.rst``.
"""

from __future__ import annotations

import json
import shutil

import pytest

from ganlib.cli import main

TOY = ["--data", "ring", "--width", "8", "--device", "cpu", "--log-every", "1", "--sample-every", "1000", "--checkpoint-every", "20"]


def _train(out, *extra):
    return main(["train", *TOY, "--out", str(out), *extra])


def _error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: ") and "Traceback" not in err, err
    return lines[-1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run of two iterations, trained once: tests copy it before changing it."""
    out = tmp_path_factory.mktemp("trained") / "run"
    assert _train(out, "--iterations", "2") == 0
    return out


def _edited(trained, tmp_path, **changes):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    config = json.loads((run / "config.json").read_text())
    config.update(changes)
    (run / "config.json").write_text(json.dumps(config))
    return run


# --- flags that would do nothing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "owner"),
    [("--lr-schedule-arg", "--lr-schedule"), ("--step-schedule-arg", "--step-schedule"), ("--augment-arg", "--augment")],
)
def test_a_components_arguments_without_the_component_are_refused(tmp_path, capsys, flag, owner):
    assert _train(tmp_path / "run", "--iterations", "1", flag, "every=3") == 2
    message = _error(capsys)
    assert flag in message and owner in message and "would do nothing" in message
    assert not (tmp_path / "run").exists()


def test_a_folder_path_given_twice_is_refused(tmp_path, capsys):
    images = tmp_path / "images"
    images.mkdir()
    code = main(["train", "--data", f"folder:{images}", "--data-arg", "path=/elsewhere", "--iterations", "1", "--out", str(tmp_path / "run")])
    assert code == 2
    message = _error(capsys)
    assert "--data-arg path=/elsewhere would be ignored" in message and f"folder:{images}" in message


@pytest.mark.parametrize("flags", [["--class", "3"], ["--no-ema"], ["--num", "50"], ["--seed", "2"], ["--truncation", "1.0"], ["--psi", "0.7"]])
def test_evaluate_refuses_sampling_flags_beside_samples(tmp_path, capsys, flags):
    import torch

    samples = tmp_path / "s.pt"
    torch.save(torch.zeros(4, 1, 28, 28), samples)
    assert main(["evaluate", "--samples", str(samples), *flags]) == 2
    message = _error(capsys)
    assert flags[0] in message and "--samples" in message and "would do nothing" in message


# --- saved configs are checked like typed settings --------------------------------------------


def test_an_unknown_optimizer_in_the_config_is_named_not_resumed_as_adam(trained, tmp_path, capsys):
    run = _edited(trained, tmp_path, optimizer="adagrad")
    assert main(["train", "--resume", str(run), "--iterations", "3"]) == 2
    message = _error(capsys)
    assert str(run / "config.json") in message and "optimizer='adagrad' is invalid" in message and "adam, adamw" in message


@pytest.mark.parametrize(("key", "value", "expected"), [("lr", -1, "lr=-1 is invalid"), ("batch_size", "64", "batch_size='64' is invalid (expected the number 64")])
def test_a_hand_edited_value_is_named_with_the_file(trained, tmp_path, capsys, key, value, expected):
    run = _edited(trained, tmp_path, **{key: value})
    assert main(["train", "--resume", str(run), "--iterations", "3"]) == 2
    message = _error(capsys)
    assert str(run / "config.json") in message and expected in message


def test_a_run_resumed_without_its_plugin_names_the_component_and_the_plugin(trained, tmp_path, capsys):
    run = _edited(trained, tmp_path, penalty=["bcr"], plugins=["my_extras"])
    assert main(["train", "--resume", str(run), "--iterations", "3"]) == 2
    message = _error(capsys)
    assert "penalty='bcr' is not registered" in message and "my_extras" in message and "GANLIB_PLUGINS" in message


def test_a_config_setting_nobody_typed_that_no_longer_resolves_blames_the_file(trained, tmp_path, capsys):
    saved = json.loads((trained / "config.json").read_text())
    run = _edited(trained, tmp_path, objective="wgan-gp", penalty=None)  # resolves to wasserstein + gp
    assert saved["objective"] != "wgan-gp"
    assert main(["train", "--resume", str(run), "--iterations", "3"]) == 2
    message = _error(capsys)
    assert "config.json holds settings that do not resolve to themselves" in message and "objective" in message


def test_a_new_run_records_its_plugins(trained):
    assert json.loads((trained / "config.json").read_text())["plugins"] == []


# --- paths that exist ---------------------------------------------------------------------------


def _paths(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    return {"a file": (a_file, "is a file, not a directory"), "a dangling link": (dangling, "is a symbolic link to"),
            "below a file": (a_file / "run", "is a file, so nothing can be written below it")}


@pytest.mark.parametrize("case", ["a file", "a dangling link", "below a file"])
def test_train_out_that_cannot_be_a_directory_is_one_line_and_nothing_is_written(tmp_path, capsys, case):
    path, expected = _paths(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert _train(path, "--iterations", "1") == 2
    assert expected in _error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == before and (tmp_path / "a-file").read_text() == "mine"
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", ["study", "bench"])
def test_study_and_bench_refuse_a_train_runs_directory(trained, tmp_path, capsys, command):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    before = sorted(p.name for p in run.iterdir())
    argv = ["study", "--data", "ring", "--objectives", "hinge", "--iterations", "1"] if command == "study" else ["bench", "--suite", "tiny"]
    assert main([*argv, "--out", str(run)]) == 2
    assert "holds a training run" in _error(capsys)
    assert sorted(p.name for p in run.iterdir()) == before


@pytest.mark.parametrize("command", ["study", "bench"])
def test_study_and_bench_refuse_a_file_as_out(tmp_path, capsys, command):
    path, expected = _paths(tmp_path)["a file"]
    argv = ["study", "--data", "ring", "--objectives", "hinge", "--iterations", "1"] if command == "study" else ["bench", "--suite", "tiny"]
    assert main([*argv, "--out", str(path)]) == 2
    assert expected in _error(capsys)


# --- checkpoints are checked the same way by every command that reads one ---------------------


@pytest.mark.parametrize(("fmt", "expected"), [(99, "has format 99, written by a newer ganlib"), ("3", "format '3' is invalid")])
@pytest.mark.parametrize("command", ["sample", "evaluate", "interpolate", "resume"])
def test_every_command_checks_a_checkpoints_format_and_names_the_file(trained, tmp_path, capsys, fmt, expected, command):
    import torch

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    latest = run / "checkpoints" / "latest.pt"
    state = torch.load(latest, weights_only=True)
    state["format"] = fmt
    torch.save(state, latest)
    argv = {
        "sample": ["sample", "--checkpoint", str(run), "--out", str(tmp_path / "s.png")],
        "evaluate": ["evaluate", "--checkpoint", str(run), "--num", "16"],
        "interpolate": ["interpolate", "--checkpoint", str(run), "--out", str(tmp_path / "i.png")],
        "resume": ["train", "--resume", str(run), "--iterations", "3"],
    }[command]
    assert main(argv) == 2
    message = _error(capsys)
    assert expected in message and str(run) in message


@pytest.mark.parametrize("command", ["study", "bench"])
def test_a_second_study_or_bench_into_the_same_directory_is_refused(tmp_path, capsys, command):
    from ganlib.runs import run_lock

    out = tmp_path / "study"
    argv = ["study", "--data", "ring", "--objectives", "hinge", "--iterations", "1"] if command == "study" else ["bench", "--suite", "tiny"]
    with run_lock(out):  # as a first study or bench holds it while it runs
        assert main([*argv, "--out", str(out)]) == 2
    assert "is in use" in _error(capsys)
    assert not out.exists() or not any(out.iterdir())  # nothing written beside the holder's lock
