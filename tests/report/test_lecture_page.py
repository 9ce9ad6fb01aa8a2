"""The lecture page and lecture.json from judged results, without training anything (no browser needed)."""

import json
from dataclasses import asdict

from genlab.experiments.claims import judge
from genlab.experiments.runner import Experiment, Outcome, Result
from genlab.report.lecture_page import short_numbers, verdict, write_lecture_page


def _result(key, status, measured=None, reason=""):
    outcome = asdict(Outcome(measured=measured or {})) if status == "done" else {}
    res = Result(key, status, 1.0, outcome, reason)
    res.claims = [asdict(c) for c in judge(key, status, measured, reason=reason)]
    return res


def test_page_and_lecture_json_agree(tmp_path):
    experiments = [Experiment(k, f"title {k}", "claim", "cmd", run=None) for k in ("gan-1d", "dcgan", "ae-recon")]
    results = [_result("gan-1d", "done", {"max_abs_d_minus_d_star": 0.01, "value_at_trained_d": -1.18,
                                          "minus_log4_plus_2jsd": -1.1797}),
               _result("dcgan", "done", {}),
               _result("ae-recon", "skipped", reason="no face dataset")]
    write_lecture_page(tmp_path, experiments, results, profile="quick", device="cpu")
    record = json.loads((tmp_path / "lecture.json").read_text())
    assert (record["profile"], record["claims_held"], record["claims_total"]) == ("quick", 2, 4)
    assert [s["status"] for s in record["sections"]] == ["done", "done", "skipped"]
    assert [c["held"] for c in record["claims"]] == [True, True, False, None]
    html = (tmp_path / "index.html").read_text()
    assert "2 of 4 claims held" in html and html.count('class="claim-verdict') == 4
    assert 'data-verdict="held"' in html and 'data-verdict="not-held"' in html and 'data-verdict="skipped"' in html
    assert "not measured yet" in html and "may well not hold" in html


def test_section_verdicts_and_number_formatting():
    assert verdict([{"held": True}, {"held": True}]) == "held"
    assert verdict([{"held": True}, {"held": False}]) == "not-held"
    assert verdict([{"held": None}]) == "skipped" and verdict([]) == "none"
    assert short_numbers({"a": 0.0123456, "b": {"0": 1.23456}, "c": [1, 2.5]}) == "a = 0.01235; b = {0: 1.235}; c = [1, 2.5]"


def test_beyond_sections_come_under_their_own_heading(tmp_path):
    experiments = [Experiment("gan-1d", "GAN", "claim", "cmd", run=None),
                   Experiment("beyond-iwae", "IWAE", "claim", "cmd", run=None, part="beyond"),
                   Experiment("beyond-conditional", "cVAE", "claim", "cmd", run=None, part="beyond")]
    results = [_result("gan-1d", "done", {}), _result("beyond-iwae", "done", {}),
               _result("beyond-conditional", "skipped", reason="x")]
    write_lecture_page(tmp_path, experiments, results, profile="default", device="cpu")
    html = (tmp_path / "index.html").read_text()
    assert html.count('id="beyond-the-lecture"') == 1  # one heading, before the first beyond section only
    assert html.index('id="gan-1d"') < html.index('id="beyond-the-lecture"') < html.index('id="beyond-iwae"')
    record = json.loads((tmp_path / "lecture.json").read_text())
    assert [s["part"] for s in record["sections"]] == ["lecture", "beyond", "beyond"]


def test_text_on_the_page_is_escaped_and_a_sections_own_html_is_not(tmp_path):
    # the templates are *.html.j2, which a select_autoescape(["html"]) did not cover: "<=" in a claim's detail
    # and a reason quoting a user's path went into the page as raw HTML
    experiments = [Experiment("gan-1d", "GAN", "claim", "cmd", run=None),
                   Experiment("dcgan", "DCGAN", "claim", "cmd", run=None)]
    done = _result("gan-1d", "done", {"max_abs_d_minus_d_star": 0.01, "value_at_trained_d": -1.18,
                                      "minus_log4_plus_2jsd": -1.1797})
    done.outcome["html"] = '<div class="explorer" id="x"></div>'
    results = [done, _result("dcgan", "skipped", reason="no data at folder:/tmp/<script>alert(1)</script>")]
    write_lecture_page(tmp_path, experiments, results, profile="default", device="cpu")
    html = (tmp_path / "index.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "(&lt;= 0.05)" in html and "(<= 0.05)" not in html
    assert '<div class="explorer" id="x"></div>' in html


def test_the_run_report_escapes_what_it_reads_from_the_run_folder(tmp_path):
    from genlab.report.run_report import write_run_report
    from tests.conftest import run_cli

    folder = tmp_path / "<b>imgs"
    folder.mkdir()
    import numpy as np
    from PIL import Image
    for i in range(4):
        Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(folder / f"{i}.png")
    run = tmp_path / "run"
    run_cli("train", "ae", "--data", f"folder:{folder}", "--hidden", "8", "--latent-dim", "2", "--max-steps", "1",
            "--quiet", "--out", str(run), check=True)
    page = write_run_report(run, tmp_path / "report.html").read_text()
    assert "&lt;b&gt;imgs" in page and "<b>imgs" not in page
