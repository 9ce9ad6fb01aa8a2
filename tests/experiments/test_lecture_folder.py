"""`genlab lecture` on a folder that already holds a lecture: the same profile continues it (and the page keeps
sections that --only did not re-run); another profile is refused before anything runs."""

from __future__ import annotations

import json
from dataclasses import asdict

from genlab import io
from genlab.experiments.lecture import EXPERIMENTS
from genlab.experiments.runner import Result, folder_profile
from tests.conftest import assert_one_line_error
from tests.training.test_vae_cli import Result as CliResult  # genlab.cli.main in this process


def _finished(out, key, profile):
    path = out / "experiments" / key / "result.json"
    path.parent.mkdir(parents=True)
    io.write_json(path, asdict(Result(key, "done", 1.0, {"numbers": {"x": 1.0}}, profile=profile)))


def test_another_profile_is_refused_before_anything_runs(tmp_path, capsys):
    _finished(tmp_path, "dcgan", "quick")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert_one_line_error(CliResult(["lecture", "--out", str(tmp_path), "--only", "vae-recap"], capsys),
                          contains="quick-profile lecture")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_the_profile_comes_from_lecture_json_in_folders_older_than_result_profiles(tmp_path):
    assert folder_profile(tmp_path) is None
    io.write_json(tmp_path / "lecture.json", {"profile": "default"})
    assert folder_profile(tmp_path) == "default"


def test_only_keeps_the_sections_already_finished_on_the_page(tmp_path, capsys):
    _finished(tmp_path, "dcgan", "quick")
    result = CliResult(["lecture", "--out", str(tmp_path), "--quick", "--only", "vae-recap", "--device", "cpu"],
                       capsys)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "lecture.json").read_text())
    assert summary["profile"] == "quick"
    keys = [s["key"] for s in summary["sections"]]
    assert keys == [e.key for e in EXPERIMENTS if e.key in ("vae-recap", "dcgan")]
    assert json.loads((tmp_path / "experiments" / "vae-recap" / "result.json").read_text())["profile"] == "quick"


def test_list_needs_no_out(capsys):
    result = CliResult(["lecture", "--list"], capsys)
    assert result.returncode == 0
    assert all(e.key in result.stdout for e in EXPERIMENTS)
