"""Real browser, the Uni vs Bi taggers page: every control used as a person uses it, hostile input.

Each test opens the page in a fresh browser context (its own Streamlit session), acts through the
page (click, type and press Enter, pick from a list), and waits on what the page then shows. The
`page` fixture fails a test whose page requested anything outside the app's own server.
"""
import re

import pytest
from playwright.sync_api import expect

from browser_utils import assert_page_clean, goto, retry, wait_for_app

pytestmark = pytest.mark.browser

SENTENCE_LABEL = "Sentence (tokenised the way EWT does: punctuation, n't, 's, quotes split off)"

# (view file, control label as tests/browser/test_control_inventory.py scans it, the browser test using it)
CONTROLS = [  # literal rows: tests/browser/test_control_inventory.py reads them with ast.literal_eval
    ("views/compare.py", "Examples where right context decides", "test_pick_an_example_from_the_list"),
    ("views/compare.py", "Sentence (tokenised the way EWT does: punctuation, n't, 's, quotes split off)",
     "test_type_a_sentence_and_see_both_rows_of_tags"),
    ("views/compare.py", "Plot the occlusion of", "test_pick_which_disagreement_to_plot"),
    ("views/compare.py", "Inspect the real models' hidden states (heatmaps)",
     "test_open_the_heatmaps_and_switch_the_layer"),
    ("views/compare.py", "Layer", "test_open_the_heatmaps_and_switch_the_layer"),
    ("views/compare.py", "key=hand_over_", "test_hand_a_tagger_over_to_another_view"),
    ("views/compare.py", "Per-tag accuracy on the test set (shipped seeds)", "test_open_the_per_tag_accuracy_table"),
]

FIRST_RUN_MS = 90_000  # the first run of a fresh server loads both taggers: slow on a loaded machine


# ---------------------------------------------------------------- helpers

def open_compare(page, app_server) -> None:
    goto(page, app_server, "/compare", timeout=FIRST_RUN_MS)
    expect(page.get_by_role("heading", name="Uni vs Bi taggers")).to_be_visible(timeout=FIRST_RUN_MS)
    expect(page.locator("table.tags").first).to_be_visible(timeout=FIRST_RUN_MS)


def sentence_box(page):
    return page.locator(f'input[aria-label="{SENTENCE_LABEL}"]')


def type_sentence(page, text: str, check) -> None:
    """Type ``text`` into the sentence box, press Enter, and retry until ``check`` passes."""
    box = sentence_box(page)

    def act():
        box.fill(text)
        box.press("Enter")
        wait_for_app(page)

    retry(act, check, tries=3, page=page)


def pick(page, label: str, option: str, check) -> None:
    """Open the selectbox labelled ``label`` and choose ``option``, retrying until ``check`` passes."""
    box = page.get_by_role("combobox", name=label, exact=True)

    def act():
        box.click()
        page.get_by_role("option", name=option, exact=True).click()
        wait_for_app(page)

    retry(act, check, tries=4, page=page)


def tokens_caption(page):
    """The "Tokens:" line (each token sits between Unicode isolates U+2068 / U+2069)."""
    return page.get_by_text(re.compile(r"^Tokens: "))


def isolated(*tokens: str) -> str:
    return " · ".join(f"\u2068{t}\u2069" for t in tokens)


def tag_cells(page, model: str):
    return page.locator(f'table.tags td[data-model="{model}"]')


def plot_titles(page):
    return page.locator(".js-plotly-plot .gtitle")


def open_expander(page, label: str):
    details = page.locator("[data-testid=stExpander] details").filter(
        has=page.locator("summary", has_text=label))

    def act():
        details.locator("summary").click()
        wait_for_app(page)

    retry(act, lambda: expect(details).to_have_attribute("open", ""), tries=3, page=page)
    return details


# ---------------------------------------------------------------- every control

def test_the_page_opens_on_an_example_where_the_right_context_decides(page, app_server):
    open_compare(page, app_server)
    expect(sentence_box(page)).to_have_value("It looks like rain")
    expect(tag_cells(page, "uni")).to_have_count(4)
    expect(tag_cells(page, "uni").nth(2)).to_contain_text("SCONJ")
    expect(tag_cells(page, "bi").nth(2)).to_contain_text("ADP")
    expect(page.locator("table.tags td.dis")).to_have_count(3)  # 'like': token, uni and bi cells
    expect(page.get_by_text("Focus word like, expected ADP: unidirectional SCONJ ✗, bidirectional ADP ✓")
           ).to_be_visible()
    expect(page.get_by_text("Without the words to its right the bidirectional model tags 'like' as SCONJ")
           ).to_be_visible()
    expect(plot_titles(page).filter(has_text="'like' (token 3) in the bidirectional model")).to_have_count(1)
    expect(page.get_by_text("Model card")).to_be_visible()
    assert_page_clean(page)


def test_type_a_sentence_and_see_both_rows_of_tags(page, app_server):
    open_compare(page, app_server)
    table = page.locator("table.tags").first
    type_sentence(page, "I went to the bank to deposit cash",
                  lambda: expect(table).to_contain_text("deposit", timeout=20_000))
    expect(table.locator("th", has_text="uni →")).to_be_visible()
    expect(table.locator("th", has_text="bi ↔")).to_be_visible()
    expect(tag_cells(page, "uni")).to_have_count(8)
    expect(tag_cells(page, "bi")).to_have_count(8)
    expect(tag_cells(page, "bi").nth(4)).to_contain_text("NOUN")  # bank
    expect(tokens_caption(page)).to_have_text(
        "Tokens: " + isolated("I", "went", "to", "the", "bank", "to", "deposit", "cash"))
    expect(page.get_by_text(re.compile(r"\d+ disagreements? out of 8 tokens"))).to_be_visible()
    expect(page.get_by_text("Model card")).to_be_visible()
    assert_page_clean(page)


def test_a_paste_over_the_limit_stays_in_the_box_with_what_to_change(page, app_server):
    open_compare(page, app_server)
    text = ("word " * 1000)[:-1] + "s"  # 5,000 characters
    assert len(text) == 5000
    message = page.get_by_text("The text has 5,000 characters; the comparison takes at most 4,000.")
    type_sentence(page, text, lambda: expect(message).to_be_visible(timeout=20_000))
    expect(page.get_by_text("Shorten it by 1,000 characters or more")).to_be_visible()
    expect(sentence_box(page)).to_have_value(text)
    assert len(sentence_box(page).input_value()) == 5000  # nothing dropped by the browser
    expect(page.locator("table.tags")).to_have_count(0)
    # doing what the message says brings the tags back
    type_sentence(page, "I went to school",
                  lambda: expect(page.locator("table.tags").first).to_contain_text("school", timeout=20_000))
    expect(message).to_have_count(0)
    assert_page_clean(page)


def test_pick_an_example_from_the_list(page, app_server):
    open_compare(page, app_server)
    info = page.get_by_text("Focus word to, expected ADP")
    pick(page, "Examples where right context decides", "to + noun",
         lambda: expect(info).to_be_visible(timeout=20_000))
    expect(sentence_box(page)).to_have_value("I went to school")
    expect(page.get_by_role("combobox", name="Examples where right context decides")).to_have_value("to + noun")
    expect(tag_cells(page, "bi")).to_have_count(4)
    expect(tag_cells(page, "bi").nth(2)).to_contain_text("ADP")
    pick(page, "Examples where right context decides", "that alone",
         lambda: expect(page.get_by_text("Focus word that, expected PRON")).to_be_visible(timeout=20_000))
    expect(sentence_box(page)).to_have_value("I know that .")
    expect(tag_cells(page, "bi").nth(2)).to_contain_text("PRON")
    assert_page_clean(page)


def test_pick_which_disagreement_to_plot(page, app_server):
    open_compare(page, app_server)
    type_sentence(page, "I know that . It looks like rain",
                  lambda: expect(page.get_by_text("2 disagreements out of 8 tokens")).to_be_visible(timeout=20_000))
    first = plot_titles(page).filter(has_text="'that' (token 3) in the bidirectional model")
    expect(first).to_have_count(1)
    second = plot_titles(page).filter(has_text="'like' (token 7) in the bidirectional model")
    picker = page.get_by_role("combobox", name="Plot the occlusion of", exact=True)
    expect(picker).to_have_value("that (token 3)")
    pick(page, "Plot the occlusion of", "like (token 7)", lambda: expect(second).to_have_count(1, timeout=20_000))
    expect(first).to_have_count(0)
    expect(picker).to_have_value("like (token 7)")
    # the chart's x axis now runs from 'like' to the end of the sentence
    chart = page.locator(".js-plotly-plot").filter(
        has=page.locator(".gtitle", has_text="'like' (token 7) in the bidirectional model"))
    ticks = chart.locator(".xtick text")
    expect(ticks.first).to_have_text("…like (7)")
    assert_page_clean(page)


def test_open_the_heatmaps_and_switch_the_layer(page, app_server):
    open_compare(page, app_server)
    button = page.get_by_role("button", name="bi tagger → Step by step")
    expect(button).to_be_hidden()
    details = open_expander(page, "Inspect the real models' hidden states")
    expect(button).to_be_visible()
    for title in ("uni, layer 1, forward h_t", "bi, layer 1, forward h_t", "bi, layer 1, backward h_t"):
        expect(details.locator(".gtitle", has_text=title)).to_be_visible()
    expect(details.locator(".xtick text", has_text="rain (4)")).to_have_count(3)
    layer = page.locator("[data-testid=stRadio]").filter(has_text="Layer")
    layer2 = details.locator(".gtitle", has_text="uni, layer 2, forward h_t")
    retry(lambda: (layer.get_by_text("2", exact=True).click(), wait_for_app(page)),
          lambda: expect(layer2).to_be_visible(timeout=20_000), tries=3, page=page)
    expect(details.locator(".gtitle", has_text="bi, layer 2, forward h_t")).to_be_visible()
    expect(details.locator(".gtitle", has_text="bi, layer 2, backward h_t")).to_be_visible()
    expect(details.locator(".gtitle", has_text="layer 1")).to_have_count(0)
    expect(layer.get_by_role("radio", name="2")).to_be_checked()
    assert_page_clean(page)


@pytest.mark.parametrize("model, where, path, heading", [
    ("bi", "Step by step", "/step_by_step", "Step by step"),
    ("bi", "Arrows diagram", "/diagram", "Arrows diagram"),
    ("uni", "Step by step", "/step_by_step", "Step by step"),
    ("uni", "Arrows diagram", "/diagram", "Arrows diagram"),
])
def test_hand_a_tagger_over_to_another_view(page, app_server, model, where, path, heading):
    open_compare(page, app_server)
    open_expander(page, "Inspect the real models' hidden states")
    landed = page.get_by_role("heading", name=heading, exact=True)
    retry(lambda: (page.get_by_role("button", name=f"{model} tagger → {where}").click(), wait_for_app(page)),
          lambda: expect(landed).to_be_visible(timeout=30_000), tries=3, page=page)
    expect(page).to_have_url(re.compile(re.escape(path) + r"$"))
    label = f"{model} tagger on “It looks like rain”"
    handed = page.get_by_role("radio", name=re.compile(re.escape(label)))
    expect(handed).to_be_checked()
    if where == "Step by step":
        expect(page.get_by_text(f"The trained tagger on “{label}”")).to_be_visible()
        expect(plot_titles(page).filter(has_text="h forward")).to_have_count(1)
        # the bidirectional tagger has a backward direction, the unidirectional one does not
        expect(plot_titles(page).filter(has_text="h backward")).to_have_count(1 if model == "bi" else 0)
    else:
        expect(page.get_by_text("The real model's hidden states")).to_be_visible()
        order = page.get_by_role("radiogroup").filter(has_text="Forward sweep").get_by_role("radio").first
        (expect(order).to_be_enabled() if model == "bi" else expect(order).to_be_disabled())
    expect(page.locator(".js-plotly-plot .xtick text", has_text="rain").first).to_be_attached()
    assert_page_clean(page)


def test_open_the_per_tag_accuracy_table(page, app_server):
    open_compare(page, app_server)
    grid = page.locator("[data-testid=stDataFrame]")
    expect(grid).to_be_hidden()
    open_expander(page, "Per-tag accuracy on the test set (shipped seeds)")
    expect(grid).to_be_visible()
    # the grid draws on a canvas; its accessible table carries the cells of the rows in view
    expect(grid.locator("table th")).to_contain_text(["tag", "test tokens", "uni %", "bi %", "bi − uni"])
    expect(grid.locator("table")).to_contain_text("NOUN")
    assert_page_clean(page)


# ---------------------------------------------------------------- hostile input

NINETY_PX = ("() => [...document.querySelectorAll('*')]"
             ".filter(e => getComputedStyle(e).fontSize === '90px').length")

# (id, text typed, literal token text that must show in the tags table, or None when refused,
#  message the page must show when it refuses the text, or None)
HOSTILE = [
    ("html-style", '<span style="font-size:90px">BIG</span>', 'style="font-size:90px">BIG</span', None),
    ("html-onerror", '<img src=x onerror="window.__pwned=1">', 'onerror="window.__pwned=1', None),
    ("html-script", "<script>window.__pwned=1</script>", "script>window.__pwned=1</script", None),
    ("md-image", "![i](http://x.invalid/a.png)", "![i](http://x.invalid/a.png", None),
    ("md-bold-latex-directive", "**bold** $x^2$ :red[red]", ":red[red", None),
    ("rtl", "I said \u05e9\u05dc\u05d5\u05dd and \u0645\u0631\u062d\u0628\u0627 to them",
     "\u0645\u0631\u062d\u0628\u0627", None),
    ("control-chars", "a\x07b c\x1bd can of fish", "a\u2407b", None),
    ("ten-thousand-words", " ".join(["word"] * 10_000), None,
     "The text has 49,999 characters; the comparison takes at most 4,000. Shorten it by 45,999"),
    ("too-many-tokens", " ".join(["a"] * 500), None,
     "the text has 500 tokens; the taggers take at most 300 at a time: shorten it or split it"),
    ("one-huge-token", "x" * 1500, None, "token 1 has 1500 characters; at most 1000 are accepted"),
    ("empty", "", None, "Type a sentence (or pick an example)"),
    ("whitespace", "   \t  ", None, "Type a sentence (or pick an example)"),
]


@pytest.mark.parametrize("text, literal, refusal", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_shown_as_text_or_refused_with_what_to_change(page, app_server, text, literal, refusal):
    open_compare(page, app_server)
    table = page.locator("table.tags").first
    if literal is not None:
        type_sentence(page, text, lambda: expect(table).to_contain_text(literal, timeout=20_000))
        expect(table.locator("td bdi", has_text=literal).first).to_be_visible()
        # every token is in the table, as typed (control characters as their visible pictures)
        # (markdown text may hold invisible word joiners, U+2060, that keep addresses from linking)
        shown = "\u2060?".join(re.escape(ch) for ch in f"\u2068{literal}\u2069")
        expect(tokens_caption(page)).to_contain_text(re.compile(shown))
        # the hidden-state heatmaps label their columns with the same text
        open_expander(page, "Inspect the real models' hidden states")
        expect(page.locator(".js-plotly-plot .xtick text", has_text=literal).first).to_be_attached()
    else:
        message = page.get_by_text(refusal)
        type_sentence(page, text, lambda: expect(message).to_be_visible(timeout=20_000))
        expect(page.locator("table.tags")).to_have_count(0)
    expect(sentence_box(page)).to_have_value(text)  # nothing typed is lost or changed
    assert page.evaluate(NINETY_PX) == 0, "user text set a style"
    assert page.locator("img[src*='x.invalid'], img[src='x'], a[href*='x.invalid']").count() == 0
    assert page.locator(".katex").count() == 0, "user text rendered as LaTeX"
    assert page.locator("strong", has_text=re.compile(r"^bold$")).count() == 0
    red = "() => [...document.querySelectorAll('span')].filter(e => e.textContent === 'red').length"
    assert page.evaluate(red) == 0, "a :red[...] directive was applied"
    assert_page_clean(page)


def test_hostile_token_where_the_models_disagree_is_literal_in_list_chart_and_picker(page, app_server):
    """The token gets a bullet, an option in the picker and the chart title: all show it as typed."""
    open_compare(page, app_server)
    token = 'style="font-size:90px">like</span'  # the shipped models: uni PROPN, bi NOUN (their only disagreement)
    type_sentence(page, '<span style="font-size:90px">like</span> rain',
                  lambda: expect(page.locator("table.tags td.dis bdi").first).to_have_text(token, timeout=20_000))
    expect(page.get_by_role("listitem").filter(has_text=f"\u2068{token}\u2069 (token 3)")).to_be_visible()
    picker = page.get_by_role("combobox", name="Plot the occlusion of", exact=True)
    expect(picker).to_have_value(f"{token} (token 3)")
    expect(plot_titles(page).filter(has_text=f"'{token}' (token 3) in the bidirectional model")).to_have_count(1)
    assert "&quot;" not in "".join(t.text_content() for t in plot_titles(page).all())
    assert page.evaluate(NINETY_PX) == 0
    assert_page_clean(page)
