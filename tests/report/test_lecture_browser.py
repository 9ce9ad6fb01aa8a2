"""The quick lecture page in a real headless Chromium: loads cleanly, every image loads, every section is
there with the verdict of its claims, the page's count of claims matches lecture.json, and the latent
explorer reacts to the pointer.

Needs Debian's chromium (`make test-browser` installs it and builds the page; CI runs it). The page comes
from $GENLAB_LECTURE_DIR, else a quick lecture is run into a temporary folder first.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lecture_dir(tmp_path_factory):
    given = os.environ.get("GENLAB_LECTURE_DIR")
    out = Path(given) if given else tmp_path_factory.mktemp("lecture")
    if not (out / "index.html").exists():
        proc = subprocess.run([sys.executable, "-m", "genlab", "lecture", "--quick", "--out", str(out)],
                              capture_output=True, text=True, timeout=1800, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def page(lecture_dir):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test-browser`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        pg = browser.new_page(viewport={"width": 1200, "height": 900})
        errors = []
        pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto((lecture_dir / "index.html").resolve().as_uri())
        pg.wait_for_load_state("load")
        pg.errors = errors
        yield pg
        browser.close()


def test_page_loads_without_console_errors(page):
    assert page.errors == []


def test_every_section_is_present_and_finished(page):
    from genlab.experiments.lecture import EXPERIMENTS

    for exp in EXPERIMENTS:
        section = page.locator(f"section#{exp.key}")
        assert section.count() == 1, exp.key
        assert section.get_attribute("data-status") in ("done", "skipped"), (exp.key, section.inner_text()[:400])


def test_every_section_shows_a_verdict_for_each_of_its_claims(page, lecture_dir):
    from genlab.experiments.lecture import EXPERIMENTS

    record = json.loads((lecture_dir / "lecture.json").read_text())
    for exp in EXPERIMENTS:
        heading = page.locator(f"section#{exp.key} h2 .section-verdict")
        assert heading.count() == 1 and heading.is_visible(), exp.key
        assert heading.get_attribute("data-verdict") in ("held", "not-held", "skipped"), exp.key
        expected = [c["held"] for c in record["claims"] if c["section"] == exp.key]
        items = page.locator(f"section#{exp.key} li.claim-verdict")
        assert items.count() == len(expected) > 0, exp.key
        shown = [json.loads(items.nth(i).get_attribute("data-held")) for i in range(items.count())]
        assert shown == expected, exp.key
        for i in range(items.count()):
            label = items.nth(i).locator(".verdict").inner_text().strip()
            assert label == {True: "held", False: "not held", None: "skipped"}[expected[i]], (exp.key, label)


def test_the_page_counts_the_claims_of_lecture_json(page, lecture_dir):
    record = json.loads((lecture_dir / "lecture.json").read_text())
    assert record["claims_total"] == len(record["claims"]) > 0
    assert record["claims_held"] == sum(c["held"] is True for c in record["claims"])
    count = page.locator("#claims-count")
    assert f"{record['claims_held']} of {record['claims_total']} claims held" in count.inner_text()
    assert int(count.get_attribute("data-held")) == record["claims_held"]
    assert page.locator("li.claim-verdict").count() == record["claims_total"]
    assert page.locator("li.claim-verdict[data-held='true']").count() == record["claims_held"]
    assert record["profile"] == "quick"
    assert "may well not hold" in page.locator("body").inner_text()   # the quick profile says so


def test_beyond_the_lecture_is_its_own_part_after_the_lectures_sections(page):
    from genlab.experiments.lecture import EXPERIMENTS

    beyond = [e.key for e in EXPERIMENTS if e.part == "beyond"]
    assert beyond and page.locator("h2#beyond-the-lecture").count() == 1
    keys = page.eval_on_selector_all("section, h2#beyond-the-lecture", "els => els.map(e => e.id)")
    assert keys[keys.index("beyond-the-lecture") + 1:] == beyond  # the heading, then the beyond sections only
    for key in beyond:
        assert page.locator(f"section#{key}").get_attribute("data-part") == "beyond"


def test_every_image_loads(page):
    images = page.locator("img")
    assert images.count() > 10
    broken = page.evaluate("() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                           ".map(i => i.alt)")
    assert broken == []


def test_moving_over_the_explorer_changes_the_decoded_image(page, lecture_dir):
    plane = page.locator("#latent-explorer canvas.plane")
    plane.scroll_into_view_if_needed()
    box = plane.bounding_box()
    decoded = "() => document.querySelector('#latent-explorer canvas.decoded').toDataURL()"
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    first, cell1 = page.evaluate(decoded), page.locator("#latent-explorer").get_attribute("data-cell")
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.85)
    second, cell2 = page.evaluate(decoded), page.locator("#latent-explorer").get_attribute("data-cell")
    assert cell1 != cell2
    assert first != second
    page.screenshot(path=str(lecture_dir / "screenshot.png"), full_page=False)
