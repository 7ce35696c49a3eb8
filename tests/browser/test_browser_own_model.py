"""Real browser: load your own model on Step by step (upload the weights and a vocabulary, type the
sentence, press Load), then see it on the Arrows diagram and Gradients; each bad kind of file gets
a message and the model on screen stays."""
import io

import numpy as np
import pytest
from browser_utils import assert_page_clean, goto, retry, wait_for_app
from playwright.sync_api import expect
from test_browser_step import states_table

from birnn_core import num

pytestmark = pytest.mark.browser
torch = pytest.importorskip("torch")

V = "views/step/own_model.py"
CONTROLS = [
    (V, "Load your own PyTorch or Keras model", "test_a_pytorch_tagger_with_its_vocabulary_on_every_page"),
    (V, "Weights (.safetensors or .npz)", "test_a_pytorch_tagger_with_its_vocabulary_on_every_page"),
    (V, "Vocabulary of its embedding (optional: .txt or .json)",
     "test_a_pytorch_tagger_with_its_vocabulary_on_every_page"),
    (V, "Sentence", "test_a_pytorch_tagger_with_its_vocabulary_on_every_page"),
    (V, "Load into the page", "test_a_pytorch_tagger_with_its_vocabulary_on_every_page"),
    (V, "SimpleRNN activation", "test_a_relu_rnn_in_keras_npz_with_its_activation_and_merge"),
    (V, "Merge", "test_a_relu_rnn_in_keras_npz_with_its_activation_and_merge"),
]
VOCAB = ["<unk>", "i", "love", "ai", "the", "bank"]


class Tagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(len(VOCAB), 3)
        self.rnn = torch.nn.LSTM(3, 2, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, ids):
        return torch.softmax(self.fc(self.rnn(self.emb(ids))[0]), -1)


def open_panel(page, app_server) -> None:
    goto(page, app_server, "/step_by_step")
    toggle = page.locator("[data-testid=stCheckbox], [data-testid=stToggle]").filter(
        has_text="Load your own PyTorch or Keras model").first
    button = page.get_by_role("button", name="Load into the page")
    retry(lambda: toggle.locator("label").click(), lambda: expect(button).to_be_visible(timeout=5_000), page=page)
    wait_for_app(page)


def choose_file(page, label: str, name: str, content: bytes) -> None:
    box = page.locator("[data-testid=stFileUploader]").filter(has_text=label)
    box.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content}])
    # the chip shortens long names ("<img sr...*bold**.pt"); its remove button carries the whole one
    expect(box.get_by_role("button", name=f"Remove {name}", exact=True)).to_be_visible()
    wait_for_app(page)


def type_sentence(page, sentence: str) -> None:
    box = page.get_by_label("Sentence", exact=True)
    box.fill(sentence)
    box.press("Enter")
    wait_for_app(page)


def press_load(page, then) -> None:
    retry(lambda: page.get_by_role("button", name="Load into the page").click(), then, page=page)
    wait_for_app(page)


def open_in_sidebar(page, name: str) -> None:
    """Another page of the same session, as a person opens it."""
    link = page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=name)
    retry(lambda: link.click(), lambda: expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=10_000),
          page=page)
    wait_for_app(page)


def safetensors_bytes(model) -> bytes:
    from safetensors.torch import save
    return save({k: v.contiguous() for k, v in model.state_dict().items()})


def test_a_pytorch_tagger_with_its_vocabulary_on_every_page(page, app_server):
    model = Tagger()
    with torch.no_grad():
        out = model(torch.tensor([[1, 2, 5]]))[0].numpy()
        h = model.rnn(model.emb(torch.tensor([[1, 2, 5]])))[0][0].numpy()
    open_panel(page, app_server)
    choose_file(page, "Weights (.safetensors or .npz)", "tagger.safetensors", safetensors_bytes(model))
    choose_file(page, "Vocabulary of its embedding", "vocab.txt", "\n".join(VOCAB).encode())
    type_sentence(page, "i love bank")
    press_load(page, lambda: expect(page.get_by_text("Loaded PyTorch nn.LSTM, 2 layers")).to_be_visible(timeout=10_000))
    table = states_table(page)
    expect(table.locator("th.tok")).to_have_text(["i", "love", "bank"])
    expect(table).to_contain_text("layer 2 · h bwd ←")
    # the last layer's concatenated output and the softmax, as the states table prints them
    row3 = table.locator("tbody tr").nth(2).locator("td")
    expect(row3.nth(12)).to_have_text(num(h[2, 0], 3))  # layer 1: 2 + 2 + 4, layer 2 fwd starts at 8; merged at 12
    expect(row3.nth(16)).to_have_text(num(out[2, 0], 3))
    expect(page.get_by_text("x_t are rows of the file's embedding matrix.")).to_be_visible()
    assert "s=1." in page.url
    open_in_sidebar(page, "Arrows diagram")
    expect(page.get_by_role("radio", name="layer 2 (reads m_t of layer 1)")).to_be_visible()
    open_in_sidebar(page, "Gradients")
    expect(page.get_by_role("heading", name="Gradients")).to_be_visible()
    expect(page.get_by_text("bank").first).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    assert_page_clean(page)


def test_a_relu_rnn_in_keras_npz_with_its_activation_and_merge(page, app_server):
    import os
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    import keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((None, 3)),
                              keras.layers.Bidirectional(keras.layers.SimpleRNN(2, activation="relu",
                                                                                return_sequences=True),
                                                         merge_mode="sum"),
                              keras.layers.Dense(2, activation="softmax")])
    from birnn_core import presets
    y = np.asarray(model(presets.embed(["good", "day"], 3)[None].astype("float32")))[0]
    buf = io.BytesIO()
    np.savez(buf, **{w.path: w.numpy() for w in model.weights})
    open_panel(page, app_server)
    choose_file(page, "Weights (.safetensors or .npz)", "keras.npz", buf.getvalue())
    for label, option in (("SimpleRNN activation", "relu"), ("Merge", "sum")):
        box = page.get_by_role("combobox", name=label, exact=True).last  # the panel's Merge is the second
        retry(lambda: (box.click(), page.get_by_role("option", name=option, exact=True).click()),
              lambda: expect(box).to_have_value(option, timeout=5_000), page=page)
        wait_for_app(page)
    type_sentence(page, "good day")
    press_load(page, lambda: expect(page.get_by_text("Loaded Keras")).to_be_visible(timeout=10_000))
    expect(page.get_by_text("The file has no embedding matrix")).to_be_visible()
    row2 = states_table(page).locator("tbody tr").nth(1).locator("td")  # h fwd (2), h bwd (2), sum (2), y (2)
    expect(row2.nth(6)).to_have_text(num(y[1, 0], 3))
    expect(page.get_by_role("combobox", name="Merge", exact=True).first).to_have_value("sum")
    expect(page.get_by_role("combobox", name="Activation", exact=True)).to_have_value("relu")
    assert_page_clean(page)


def zip_bomb() -> bytes:
    import zipfile
    from app import upload
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("weight_ih_l0.npy", b"\0" * (upload.MAX_UNPACKED_BYTES + 1))
    return buf.getvalue()


HOSTILE_NAME = "<img src=x onerror=\"window.__pwned=1\">**bold**.pt"


@pytest.mark.parametrize("name,content,says", [
    ("tagger.pt", b"\x80\x04\x95 pickle bytes", "save_file(model.state_dict()"),
    ("model.safetensors", b"\x00\x01 broken", "safetensors"),
    ("model.npz", b"PK\x03\x04 truncated", ".npz"),
    ("nan.npz", None, "NaN"),
    ("bomb.npz", zip_bomb(), "unpacks to"),
    # the name is text: no image, no bold, no script (Chromium's multipart upload sends '"' as %22)
    (HOSTILE_NAME, b"\x80\x04 pickle", HOSTILE_NAME.replace('"', "%22")),
])
def test_a_bad_file_says_what_to_do_and_the_model_stays(page, app_server, name, content, says):
    if content is None:
        buf = io.BytesIO()
        gru = torch.nn.GRU(3, 2)
        sd = {k: v.detach().numpy() for k, v in gru.state_dict().items()}
        sd["weight_hh_l0"][0, 0] = np.nan
        np.savez(buf, **sd)
        content = buf.getvalue()
    open_panel(page, app_server)
    before = states_table(page).inner_text()
    choose_file(page, "Weights (.safetensors or .npz)", name, content)
    error = page.locator("[data-testid=stAlertContentError]").filter(has_text="Not loaded")
    press_load(page, lambda: expect(error).to_be_visible(timeout=10_000))
    expect(error).to_contain_text(says)
    assert error.locator("img, strong, em").count() == 0  # nothing in a file's name became markup
    assert states_table(page).inner_text() == before
    assert_page_clean(page)
