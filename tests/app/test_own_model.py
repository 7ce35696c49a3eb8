"""Loading a person's own model into the workspace (app.own_model, the logic of the Step by step
panel; AppTest cannot hand a file to st.file_uploader, tests/browser/test_browser_own_model.py
uploads through the page): a good file of each kind computes what torch computes, each bad kind is
refused with a message that says what to do."""
from __future__ import annotations

import io

import numpy as np
import pytest
from app import own_model
from birnn_core import ValidationError, presets, run

torch = pytest.importorskip("torch")


class Tagger(torch.nn.Module):
    """The shape of the models people upload: an embedding, a recurrent stack, a linear head."""

    def __init__(self, cell="LSTM", V=6, d=3, h=2, layers=2, bi=True, q=3, bias=True):
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(V, d)
        self.rnn = getattr(torch.nn, cell)(d, h, num_layers=layers, bidirectional=bi, batch_first=True, bias=bias)
        self.fc = torch.nn.Linear(h * (2 if bi else 1), q)

    def forward(self, ids):
        return torch.softmax(self.fc(self.rnn(self.emb(ids))[0]), -1)


VOCAB = ["<unk>", "i", "love", "ai", "the", "bank"]


def safetensors_bytes(model: torch.nn.Module) -> bytes:
    from safetensors.torch import save
    return save({k: v.contiguous() for k, v in model.state_dict().items()})


def npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


VOCAB_FILE = ("vocab.txt", "\n".join(VOCAB).encode())


def test_a_pytorch_tagger_with_its_vocabulary_computes_torchs_numbers():
    model = Tagger()
    ws, loaded = own_model.load("tagger.safetensors", safetensors_bytes(model), "i love ai", vocabulary_file=VOCAB_FILE)
    assert "nn.LSTM, 2 layers" in loaded and "3 token(s)" in loaded
    assert ws.n_layers == 2 and ws.cell == "lstm" and ws.tokens == ["i", "love", "ai"] and not ws.tie
    with torch.no_grad():
        want = model(torch.tensor([[1, 2, 3]]))[0].numpy()
    np.testing.assert_allclose(run(ws.model(), ws.embeddings).probs[0], want, atol=1e-6)
    assert any("rows of the file's embedding matrix" in n for n in ws.notes)
    assert ws.from_url_state(ws.to_url_state()).to_dict() == ws.to_dict()


def test_a_bare_gru_without_head_or_embedding_says_what_it_filled_in():
    gru = torch.nn.GRU(3, 2, batch_first=True)
    ws, _ = own_model.load("gru.npz", npz_bytes({k: v.detach().numpy() for k, v in gru.state_dict().items()}),
                           "i love ai")
    assert ws.cell == "gru" and not ws.bidirectional and np.all(ws.head_W == 0)
    notes = " ".join(ws.notes)
    assert "no output layer" in notes and "pseudo-random embedding" in notes
    X = torch.tensor(presets.embed(["i", "love", "ai"], 3), dtype=torch.float32)[None]
    with torch.no_grad():
        want = gru(X)[0][0].numpy()
    np.testing.assert_allclose(run(ws.model(), ws.embeddings).layers[0].fwd.h[0], want, atol=1e-6)


@pytest.mark.parametrize("name,data,says", [
    ("model.pt", b"\x80\x04\x95 a pickle", "save_file(model.state_dict()"),
    ("model.safetensors", b"\x00\x01broken", "safetensors"),
    ("model.npz", b"PK\x03\x04 truncated zip", "npz"),
    ("weights.h5", b"\x89HDF", ".safetensors"),
    ("empty.npz", b"", "empty"),
])
def test_a_bad_file_says_what_to_do(name, data, says):
    with pytest.raises(ValidationError) as e:
        own_model.load(name, data, "i love ai")
    assert says in str(e.value)


@pytest.mark.parametrize("sentence,vocab,says", [
    ("i love pizza", VOCAB_FILE, "pizza"),
    ("i love ai", None, "upload the vocabulary"),
    ("", VOCAB_FILE, "Type at least one word"),
    (" ".join(["ai"] * 61), VOCAB_FILE, "61 words"),
])
def test_the_sentence_and_the_vocabulary_are_checked(sentence, vocab, says):
    with pytest.raises(ValidationError, match=says):
        own_model.load("tagger.safetensors", safetensors_bytes(Tagger()), sentence, vocabulary_file=vocab)


def test_a_vocabulary_without_an_embedding_is_refused():
    gru = torch.nn.GRU(3, 2, batch_first=True)
    with pytest.raises(ValidationError, match="holds none"):
        own_model.load("gru.safetensors", safetensors_bytes(gru), "i love ai", vocabulary_file=VOCAB_FILE)


def test_a_model_too_large_for_the_page_says_how_to_shrink_it():
    with pytest.raises(ValidationError) as e:
        own_model.load("big.safetensors", safetensors_bytes(torch.nn.LSTM(3, 32, batch_first=True)), "i love ai")
    assert "32" in str(e.value) and "16" in str(e.value)
