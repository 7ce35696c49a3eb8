"""AppTest for the compare page (app/views/compare.py): tags, disagreements, limits, odd input."""
import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "app" / "views" / "compare.py"


@pytest.fixture
def at():
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _markdown(app) -> str:
    return "\n".join(m.value for m in app.markdown)


def _tags(app) -> str:
    """The interlinear tags table (st.html)."""
    return "\n".join(e.proto.body for e in app.get("html") if 'class="tags"' in e.proto.body)


def _type(app, text):
    app.text_input(key="compare_text").input(text).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_default_example_shows_both_rows_and_card(at):
    tags = _tags(at)
    assert at.title[0].value == "Uni vs Bi taggers"
    assert "uni →" in tags and "bi ↔" in tags
    assert tags.count('data-model="uni"') == 4 and tags.count('data-model="bi"') == 4  # "It looks like rain"
    assert at.text_input(key="compare_text").value == "It looks like rain"
    info = at.info[0].value
    assert "Focus word **like**, expected **ADP**: unidirectional SCONJ ✗, bidirectional ADP ✓" in info
    assert "Model card" in [s.value for s in at.subheader]
    card = at.table[0].value
    assert "Most-frequent-tag baseline (test)" in card.iloc[:, 0].tolist()
    bi_card = json.loads((ROOT / "assets" / "tagger" / "bi.card.json").read_text())
    acc = f"{100 * bi_card['test_accuracy']:.2f}%"
    assert acc in card["bidirectional"].tolist()
    assert "CC BY-SA 4.0" in "\n".join(c.value for c in at.caption)


def test_examples_fill_the_box(at):
    at.selectbox(key="compare_example").select("to + noun").run()
    assert at.text_input(key="compare_text").value == "I went to school"
    assert "Focus word **to**, expected **ADP**" in at.info[0].value
    assert _tags(at).count('data-model="bi"') == 4


def test_disagreements_are_explained(at):
    _type(at, "Book a flight to Boston")
    n = _tags(at).count('class="dis" data-model="bi"')
    assert f"**{n} disagreement" in _markdown(at)
    # the shipped models disagree on "that" in "I know that ." (uni SCONJ, bi PRON; so do the models
    # trained with --adversarial, which agree on "a can of fish"): explained by occlusion
    _type(at, "I know that .")
    md = _markdown(at)
    assert _tags(at).count('class="dis" data-model="bi"') >= 1 and "**1 disagreement" in md
    assert "Without the words to its right" in md or "last word" in md
    pickers = [s for s in at.selectbox if s.label == "Plot the occlusion of"]
    assert len(pickers) == 1 and pickers[0].options == ["that (token 3)"]


def test_empty_box_long_text_and_odd_scripts(at):
    _type(at, "   ")
    assert "Type a sentence" in at.info[0].value
    _type(at, "word " * 500)
    assert "500 tokens" in at.warning[0].value and "at most" in at.warning[0].value
    _type(at, "I love it \U0001F600 \u2014 \u041c\u043e\u0441\u043a\u0432\u0430 \u6771\u4eac !!")
    assert _tags(at).count('data-model="bi"') == 8 and not at.error


def test_hidden_state_heatmaps_and_hand_over(at):
    at.radio(key="compare_layer").set_value(2).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 3
    from app.state import HAND_OVER, INSPECT, STEP_SOURCE
    at.button(key=HAND_OVER.at("bi", STEP_SOURCE)).click().run()
    assert not at.exception, [e.value for e in at.exception]
    handed = at.session_state[INSPECT]
    assert handed.trace.tokens == ["It", "looks", "like", "rain"]
    assert handed.trace.layers[0].bwd is not None and handed.trace.probs.shape == (1, 4, 17)
    assert "bi tagger" in handed.label and at.session_state[STEP_SOURCE] == "tagger"


def test_page_does_not_import_torch():
    import subprocess
    code = ("import sys, runpy; sys.path.insert(0, %r); from streamlit.testing.v1 import AppTest; "
            "at = AppTest.from_file(%r, default_timeout=60); at.run(); "
            "assert not at.exception; print('torch' in sys.modules)") % (str(ROOT), str(PAGE))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_the_page_opens_on_an_example_where_the_right_context_decides(at):
    """With the shipped weights, at the default example's focus word: uni and bi disagree, bi has
    the expected tag, and bi's tag changes when the sentence is cut right after the focus word."""
    from app.comparison import EXAMPLES
    from taggers import tagger as tg
    text = at.text_input(key="compare_text").value
    example = next(ex for ex in EXAMPLES if ex[1] == text)  # the box opens on one of the examples
    _, sentence, i, gold, _ = example
    uni, bi = tg.load_taggers()
    tokens = tg.tokenize(sentence)
    cmp = tg.compare(uni, bi, tokens)
    assert cmp.uni_tags[i] != cmp.bi_tags[i], (tokens[i], cmp.uni_tags[i], cmp.bi_tags[i])
    assert cmp.bi_tags[i] == gold
    assert cmp.uni_tags[i] != gold
    occ = cmp.explanations[i]
    cut_k, cut_tag, _ = occ.prefix[0]
    assert cut_k == i and i < len(tokens) - 1  # there is a right context to cut
    assert cut_tag != cmp.bi_tags[i]
    # the cut sentence, tagged directly, says the same (no vacuous pass through the occlusion code)
    assert bi.tag(tokens[:i + 1])[0][i] == cut_tag
    # and the page says so
    assert f"bidirectional {gold} ✓" in at.info[0].value and "unidirectional" in at.info[0].value


def test_a_text_over_the_limit_stays_in_the_box_with_a_message(at):
    text = "word " * 1000  # 5,000 characters
    _type(at, text)
    assert at.text_input(key="compare_text").value == text
    msg = at.warning[0].value
    assert "5,000 characters" in msg and "at most 4,000" in msg and "Shorten it" in msg
    assert not _tags(at)


def test_user_text_is_escaped_in_every_element(at):
    payload = '<b>x</b> **bold** $x^2$ :red[red] ![i](http://x.invalid/a.png) a"q can of fish'
    _type(at, payload)
    tags = _tags(at)
    # tokens: '<', 'b>x</b', '>', '**', 'bold', '**', '$', 'x', '^', '2$', ':red[red', ...
    assert "<bdi>b&gt;x&lt;/b</bdi>" in tags and "<bdi>a&quot;q</bdi>" in tags and "b>x</b" not in tags
    caption = next(c.value for c in at.caption if c.value.startswith("Tokens:"))
    assert "http" not in caption  # app.text.markdown puts a word joiner in it: no autolink
    caption = caption.replace("\u2060", "")
    assert "\\*\\*" in caption and "\\$" in caption and "\\:red\\[red" in caption
    assert "\\!\\[i\\]\\(http\\:\\/\\/x\\.invalid" in caption  # no image: the text as typed
    labels = json.dumps([json.loads(c.proto.spec) for c in at.get("plotly_chart")])
    assert "b&gt;x&lt;/b" in labels and "b>x</b" not in labels
    assert "&quot;" not in labels and 'a\\"q' in labels  # Plotly does not decode &quot;: quotes stay as typed


def test_model_cards_record_the_command_that_trains_them():
    """Each shipped card's "command" asks for exactly the hyper-parameters, seed, device and threads
    the card records, with paths relative to the project; the README's training loop asks for the same."""
    pytest.importorskip("torch")  # taggers.train imports torch
    import shlex
    from dataclasses import asdict

    from taggers import train as tt
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("    for seed in 1 2 3; do")
    readme_loop = " ".join(readme[start:readme.index("--ship", start)].replace("\\\n", " ").split())
    for direction in ("uni", "bi"):
        card = json.loads((ROOT / "assets" / "tagger" / f"{direction}.card.json").read_text())
        argv = shlex.split(card["command"])
        assert argv[:3] == ["python", "-m", "taggers.train"]
        assert not any(a.startswith("/") for a in argv), card["command"]
        args = tt.parser().parse_args(argv[3:])
        hp = tt.hparams(args)
        recorded = {"ema": 0.0, "adversarial": 0.0} | card["hyperparameters"]  # older cards: trained without them
        assert asdict(hp) | {"hidden": hp.resolved_hidden()} == recorded
        assert (args.direction, args.seed) == (card["direction"], card["seed"])
        assert (args.device, args.threads) == (card["training"]["device"], card["training"]["torch_threads"])
        assert args.data_dir == "../shared/data/ud_english_ewt" and args.max_sentences is None
        options = dict(zip(argv[3::2], argv[4::2]))  # every option of a card's command takes a value
        for flag in sorted(options.keys() - {"--direction", "--seed", "--out"}):
            assert f"{flag} {options[flag]}" in readme_loop, (flag, options[flag])
    # future cards: the command as run, paths made relative to the project root
    cmd = tt.command_line(["--data-dir", str(ROOT.parent / "shared" / "data" / "ud_english_ewt"),
                           "--out", str(ROOT / "tmp" / "runs" / "bi_s1"), "--seed", "1"], cwd=Path("/"))
    assert cmd == ("python -m taggers.train --data-dir ../shared/data/ud_english_ewt "
                   "--out tmp/runs/bi_s1 --seed 1")
