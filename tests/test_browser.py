"""The reviewer's path in a real browser: headless Chromium drives doccano 1.8.4's web UI.

A module-scoped doccano server on 127.0.0.1 (as in tests/test_doccano.py) gets the gold pushed as
suggestions; Chromium logs in, opens the paragraph, picks a label with its shortcut key, draws a
span with the mouse over the characters (their boxes come from DOM Ranges over the SVG text the UI
draws, so the mouse lands where a reviewer's would), deletes a suggestion with a right click on
its label (doccano 1.8.4 has no chip with an x: a span's context menu deletes it) and marks the
example checked. pull must then put exactly those characters into the gold and change nothing
else. The UI counts UTF-16 code units, so the emoji case fails if push or pull skip the conversion.

Chromium comes from the system (`apt-get install chromium`; .ci/run installs it when missing):
without it the tests fail, unless CHIP_NER_SKIP_BROWSER=1 says to skip them. They are skipped
only when doccano itself cannot be installed, as in test_doccano.py.
CHIP_NER_SCREENSHOT=docs/doccano-review.png also copies the emoji case's screenshot there.
"""
import json
import os
import re
import shutil

import pytest
from conftest import DATA, DOCCANO_PASSWORD, ROOT, corpus_with, read_records

from chip_ner.annotation.doccano_api import DoccanoAPI
from chip_ner.annotation.pull import pull
from chip_ner.annotation.push import push

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # said by the browser fixture, which fails the tests
    expect = sync_playwright = None

PASSWORD = DOCCANO_PASSWORD
EMOJI_TEXT = "💰 苹果使用谷歌TPU，台积电代工，投资约30亿美元。"
TRADITIONAL_TEXT = "超微執行長蘇姿丰（Lisa Su）證實，台積電代工MI300晶片。"  # short: one line in the UI
SUGGESTIONS = {
    "902-p000": (EMOJI_TEXT, [("苹果", "COMPANY"), ("谷歌", "COMPANY"), ("TPU", "CHIP"), ("30亿美元", "MONEY")]),
    "903-p000": (TRADITIONAL_TEXT, [("超微", "COMPANY"), ("蘇姿丰", "PERSON"), ("台積電", "COMPANY"), ("MI300", "CHIP")]),
}
SKIP_ENV = "CHIP_NER_SKIP_BROWSER"
SCREENSHOT_ENV = "CHIP_NER_SCREENSHOT"
TIMEOUT_MS = 20_000

# The UI draws each line as an SVG <text id="start:end">; a Range over its text node gives the
# boxes of the characters, found by their own surface (JavaScript indexes UTF-16, as the UI does).
CHAR_BOXES = """([surface]) => {
  for (const el of document.querySelectorAll('#container text[id*=":"]')) {
    const node = el.firstChild, i = node ? node.data.indexOf(surface) : -1;
    if (i < 0) continue;
    const box = (a, b) => { const r = document.createRange(); r.setStart(node, a); r.setEnd(node, b);
                            return r.getBoundingClientRect(); };
    const first = box(i, i + 1), last = box(i + surface.length - 1, i + surface.length), all = box(i, i + surface.length);
    return {x0: first.left, x1: last.right, y: (first.top + first.bottom) / 2, left: all.left, right: all.right};
  }
  return null;
}"""
# An entity is a <g> holding its underline and a clickable <g> with the label's name.
ENTITY_LABEL = """([surface, label]) => {
  for (const el of document.querySelectorAll('#container text[id*=":"]')) {
    const node = el.firstChild, i = node ? node.data.indexOf(surface) : -1;
    if (i < 0) continue;
    const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + surface.length);
    const box = r.getBoundingClientRect();
    for (const g of el.parentNode.querySelectorAll('g')) {
      const line = g.querySelector(':scope > line'), name = g.querySelector(':scope > g > text');
      if (!line || !name || name.textContent.trim() !== label) continue;
      const under = line.getBoundingClientRect();
      if (Math.abs(under.left - box.left) < 4 && Math.abs(under.right - box.right) < 4) {
        const t = name.getBoundingClientRect();
        return {x: (t.left + t.right) / 2, y: (t.top + t.bottom) / 2};
      }
    }
  }
  return null;
}"""


def chromium_path():
    for candidate in (os.environ.get("CHIP_NER_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        found = candidate and shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser(server):
    executable = chromium_path()
    if executable is None or sync_playwright is None:
        what = ("no Chromium found (chromium, chromium-browser, google-chrome or $CHIP_NER_CHROMIUM)"
                if executable is None else "the playwright package is missing (pip install -e '.[test]')")
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"{what}; skipped because {SKIP_ENV}=1")
        pytest.fail(f"The browser tests need a headless Chromium: {what}. Install it with "
                    f"`apt-get install chromium` (.ci/run does), or set {SKIP_ENV}=1 to skip them on purpose.",
                    pytrace=False)
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Quiet:
    """doccano's UI keeps fetching after a route has changed (the project list sorts and fetches
    again; a middleware reloads the project 1 s after a route change): waiting until no request has
    been in flight for longer than that keeps a click from landing on a page about to be replaced."""

    def __init__(self, page):
        self.page, self.pending = page, set()
        page.on("request", lambda request: self.pending.add(request))
        for event in ("requestfinished", "requestfailed"):
            page.on(event, lambda request: self.pending.discard(request))

    def __call__(self, quiet_ms=1200, timeout_ms=TIMEOUT_MS):
        waited = still = 0
        while still < quiet_ms:
            assert waited < timeout_ms, f"requests still pending after {timeout_ms} ms: {[r.url for r in self.pending]}"
            self.page.wait_for_timeout(50)
            waited += 50
            still = 0 if self.pending else still + 50


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    page.settle = Quiet(page)  # the helpers below call page.settle() before a click that changes the route
    yield page
    context.close()


@pytest.fixture
def corpus(tmp_path):
    """tests/data plus the emoji paragraph and the traditional-script one, the gold as suggestions."""
    return corpus_with(tmp_path, SUGGESTIONS)


def api_for(server):
    return DoccanoAPI(server.url, "admin", PASSWORD)


def push_gold(server, corpus, project):
    push(api_for(server), project, corpus / "paragraphs.jsonl", corpus / "base.jsonl", source="gold",
         gold=corpus / "gold.jsonl")


def pull_gold(server, corpus, project):
    return pull(api_for(server), project, corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")


# --- what a reviewer does in the browser ---

def log_in(page, server):
    page.goto(server.url + "auth")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-test=delete-button]")  # doccano's login form reuses its dialog's button
    page.wait_for_url("**/projects")


def open_example(page, project, pid):
    """Projects list -> the project -> Start Annotation -> "next" until the metadata's id is pid and
    its suggestions are drawn."""
    link = page.get_by_role("link", name=project, exact=True)
    link.wait_for()
    page.settle()
    with page.expect_response(re.compile(r"/v1/projects/\d+$")):  # the project's type decides where
        link.click()                                              # "Start Annotation" goes
    expect(page).to_have_url(re.compile(r"/projects/\d+$"))
    page.settle()
    page.get_by_text("Start Annotation").click()
    expect(page).to_have_url(re.compile(r"/sequence-labeling\?"))
    shown_id = page.locator("tr:has(td:text-is('id')) td").nth(1)
    next_button = page.locator(".toolbar-control .v-data-footer button").nth(2)  # first, previous, next, last
    for _ in range(len(read_records(DATA / "paragraphs.jsonl")) + len(SUGGESTIONS)):
        shown_id.wait_for()
        page.settle()
        current = shown_id.inner_text().strip()
        if current == pid:
            break
        next_button.click()
        expect(shown_id).not_to_have_text(current, timeout=TIMEOUT_MS)
    else:
        raise AssertionError(f"{pid} not found in doccano's pages")
    expect(page.locator("#container svg line")).to_have_count(len(SUGGESTIONS[pid][1]))


def draw_span(page, surface, label, key):
    """Pick the label with its key (the chip is then selected), then drag the mouse over the characters."""
    page.keyboard.press(key)
    expect(page.locator(".v-chip-group .v-chip", has_text=label)).to_have_class(re.compile("v-chip--active"))
    box = page.evaluate(CHAR_BOXES, [surface])
    if not box:
        lines = page.eval_on_selector_all('#container text[id*=":"]', "els => els.map(e => e.textContent)")
        raise AssertionError(f"{surface!r} is not drawn on one line of the page; its lines: {lines}")
    with page.expect_response(lambda r: r.url.endswith("/spans") and r.request.method == "POST") as created:
        page.mouse.move(box["x0"] + 1, box["y"])
        page.mouse.down()
        page.mouse.move((box["x0"] + box["x1"]) / 2, box["y"], steps=4)
        page.mouse.move(box["x1"] - 1, box["y"], steps=4)
        page.mouse.up()
    assert created.value.ok, created.value.text()
    page.wait_for_function(f"() => !!({ENTITY_LABEL})({json.dumps([surface, label])})")


def delete_suggestion(page, surface, label):
    """A right click on a span's label deletes it in doccano 1.8.4."""
    target = page.evaluate(ENTITY_LABEL, [surface, label])
    assert target, f"no {label} span under {surface!r} on the page"
    with page.expect_response(lambda r: "/spans/" in r.url and r.request.method == "DELETE") as deleted:
        page.mouse.click(target["x"], target["y"], button="right")
    assert deleted.value.ok, deleted.value.text()
    page.wait_for_function(f"() => !({ENTITY_LABEL})({json.dumps([surface, label])})")


def mark_done(page):
    """The first button of the annotation toolbar: 'Not Checked' (x) -> 'Checked' (a tick)."""
    button = page.locator(".toolbar-control .v-btn-toggle > button").first
    button.hover()
    page.get_by_text("Not Checked", exact=True).wait_for()
    with page.expect_response(lambda r: r.url.endswith("/states") and r.request.method == "POST") as state:
        button.click()
    assert state.value.ok, state.value.text()
    page.mouse.move(0, 0)
    button.hover()
    page.get_by_text("Checked", exact=True).wait_for()


def screenshot(page, tmp_path, name, publish=False):
    path = tmp_path / name
    page.screenshot(path=path)
    target = os.environ.get(SCREENSHOT_ENV)
    if publish and target:
        (ROOT / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, ROOT / target)
    return path


def gold_by_id(corpus):
    return {r["meta"]["id"]: r for r in read_records(corpus / "gold.jsonl")}


def surfaces(record):
    return [(record["text"][s:e], label) for s, e, label in record["label"]]


def assert_only_changed(before, after, pid, expected):
    assert surfaces(after[pid]) == expected
    assert after[pid]["meta"]["doccano_confirmed"] is True
    assert sorted(after) == sorted(before)
    for other, record in before.items():
        if other != pid:
            meta = dict(after[other]["meta"])
            assert meta.pop("doccano_confirmed") is False
            assert {**after[other], "meta": meta} == record, other


def test_reviewer_draws_a_span_after_an_emoji(server, corpus, page, tmp_path):
    push_gold(server, corpus, "browser-emoji")
    before = gold_by_id(corpus)
    log_in(page, server)
    open_example(page, "browser-emoji", "902-p000")
    draw_span(page, "台积电", "COMPANY", "o")
    delete_suggestion(page, "谷歌", "COMPANY")
    shot = screenshot(page, tmp_path, "review-emoji.png", publish=True)
    mark_done(page)
    report = pull_gold(server, corpus, "browser-emoji")
    assert_only_changed(before, gold_by_id(corpus), "902-p000",
                        [("苹果", "COMPANY"), ("TPU", "CHIP"), ("台积电", "COMPANY"), ("30亿美元", "MONEY")])
    assert (report.added, report.removed, report.relabelled) == ({"COMPANY": 1}, {"COMPANY": 1}, {})
    assert shot.stat().st_size > 10_000


def test_reviewer_draws_a_spaced_latin_name_in_traditional_script(server, corpus, page, tmp_path):
    push_gold(server, corpus, "browser-traditional")
    before = gold_by_id(corpus)
    log_in(page, server)
    open_example(page, "browser-traditional", "903-p000")
    draw_span(page, "Lisa Su", "PERSON", "p")  # across the space
    shot = screenshot(page, tmp_path, "review-traditional.png")
    mark_done(page)
    report = pull_gold(server, corpus, "browser-traditional")
    assert_only_changed(before, gold_by_id(corpus), "903-p000",
                        [("超微", "COMPANY"), ("蘇姿丰", "PERSON"), ("Lisa Su", "PERSON"), ("台積電", "COMPANY"),
                         ("MI300", "CHIP")])
    assert (report.added, report.removed, report.relabelled) == ({"PERSON": 1}, {}, {})
    assert shot.stat().st_size > 10_000
