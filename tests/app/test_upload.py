"""app.upload: uploaded PyTorch state_dicts (.safetensors, .npz) and Keras 3 weights (.npz) read back
into the core compute what torch's forward and keras' predict compute; every bad file is refused
with a message saying what to do; vocabularies and the tokens looked up in them.

Torch runs its forward in float64 on the float32 weights it saved (so 1e-6 is far from the noise);
Keras' numpy backend computes in float32 whatever the dtype, hence its 1e-5 (as in tests/core).
"""
import io
import itertools
import json
import os
import struct
import subprocess
import sys
import zipfile

os.environ["KERAS_BACKEND"] = "numpy"  # before keras is imported anywhere

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from app import upload  # noqa: E402
from app.upload import embed_tokens, read_arrays, read_model, read_vocabulary  # noqa: E402
from birnn_core import ValidationError, run, validate_model  # noqa: E402

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # keras' variables on numpy 2

TORCH_TOL = 1e-6
KERAS_TOL = 1e-5
IDS = [[1, 5, 7, 2, 9], [3, 3, 0, 8, 4]]


# ---------------------------------------------------------------- helpers

class Tagger(torch.nn.Module):
    """Embedding -> nn.RNN / GRU / LSTM -> Linear, each step tagged; ``merge`` combines the directions."""

    def __init__(self, cell="LSTM", d=4, h=3, layers=1, bi=True, bias=True, q=5, V=12, merge="concat",
                 names=("embedding", "rnn", "fc"), **kw):
        super().__init__()
        torch.manual_seed(layers + 10 * bi + 100 * bias)
        self.names, self.merge, self.h = names, merge, h
        m = h * (2 if bi and merge == "concat" else 1)
        setattr(self, names[0], torch.nn.Embedding(V, d))
        setattr(self, names[1], getattr(torch.nn, cell)(d, h, num_layers=layers, bidirectional=bi, bias=bias,
                                                        batch_first=True, **kw))
        setattr(self, names[2], torch.nn.Linear(m, q))

    def forward(self, ids):
        emb, rnn, fc = (getattr(self, n) for n in self.names)
        out = rnn(emb(ids))[0]
        if self.merge == "sum":
            out = out[..., :self.h] + out[..., self.h:]
        return fc(out)


def save_torch(model, path):
    """``model``'s state_dict saved the way the docs tell people, by the file's extension."""
    if path.suffix == ".safetensors":
        safetensors_torch.save_file(model.state_dict(), str(path))
    else:
        np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})
    return path


def read_file(path, **kw):
    up = read_model(path.name, path.read_bytes(), **kw)
    validate_model(up.model)
    return up


def torch_logits(model, ids):
    with torch.no_grad():
        return model.double()(torch.tensor(ids)).numpy()


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def state_dict(model) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def refused(name, data, *says, **kw) -> str:
    """read_model refuses the file; its message holds every one of ``says``."""
    with pytest.raises(ValidationError) as e:
        read_model(name, data, **kw)
    message = str(e.value)
    for s in says:
        assert s in message, message
    return message


# ---------------------------------------------------------------- PyTorch

@pytest.mark.parametrize("cell,layers,bi,bias", list(itertools.product(["RNN", "GRU", "LSTM"], [1, 2, 3],
                                                                       [False, True], [True, False])))
@pytest.mark.parametrize("ext", [".safetensors", ".npz"])
def test_a_torch_tagger_reads_back_to_torchs_outputs(tmp_path, cell, layers, bi, bias, ext):
    model = Tagger(cell, layers=layers, bi=bi, bias=bias)
    up = read_file(save_torch(model, tmp_path / f"tagger{ext}"))
    np.testing.assert_array_equal(up.embeddings, model.embedding.weight.detach().numpy())
    X = up.embeddings[np.array(IDS)]
    np.testing.assert_allclose(run(up.model, X).logits, torch_logits(model, IDS), atol=TORCH_TOL, rtol=0)
    assert len(up.layers) == layers and all(l.bidirectional == bi for l in up.layers)
    assert up.source.startswith(f"PyTorch nn.{cell}, {layers} layer") and "output layer 5 classes" in up.source
    assert ("bidirectional" in up.source) == bi


@pytest.mark.parametrize("ext", [".safetensors", ".npz"])
def test_a_relu_rnn_reads_with_its_activation(tmp_path, ext):
    model = Tagger("RNN", layers=2, nonlinearity="relu")
    up = read_file(save_torch(model, tmp_path / f"relu{ext}"), activation="relu")
    assert all(l.activation == "relu" for l in up.layers) and "activation relu" in up.source
    X = up.embeddings[np.array(IDS)]
    np.testing.assert_allclose(run(up.model, X).logits, torch_logits(model, IDS), atol=TORCH_TOL, rtol=0)


def test_any_module_names_and_a_bare_module_without_prefix(tmp_path):
    model = Tagger("GRU", layers=2, names=("emb", "encoder_gru", "classifier"))
    up = read_file(save_torch(model, tmp_path / "named.npz"))
    np.testing.assert_allclose(run(up.model, up.embeddings[np.array(IDS)]).logits, torch_logits(model, IDS),
                               atol=TORCH_TOL, rtol=0)
    bare = torch.nn.LSTM(4, 3, batch_first=True)
    up = read_file(save_torch(bare, tmp_path / "bare.safetensors"))
    assert up.head is None and up.embeddings is None
    X = np.random.default_rng(0).normal(size=(2, 6, 4))
    with torch.no_grad():
        want = bare.double()(torch.tensor(X))[0].numpy()
    np.testing.assert_allclose(run(up.model, X).output, want, atol=TORCH_TOL, rtol=0)


def test_a_one_layer_model_merged_by_sum_reads_with_that_merge(tmp_path):
    model = Tagger("LSTM", merge="sum")
    path = save_torch(model, tmp_path / "sum.safetensors")
    up = read_file(path, merge="sum")
    assert up.layers[0].merge == "sum" and "merge sum" in up.source
    np.testing.assert_allclose(run(up.model, up.embeddings[np.array(IDS)]).logits, torch_logits(model, IDS),
                               atol=TORCH_TOL, rtol=0)
    refused(path.name, path.read_bytes(), "'fc.weight'", "fit merge 'sum' or 'mul' or 'ave'")


def test_the_head_activation_is_a_parameter(tmp_path):
    up = read_file(save_torch(Tagger("GRU"), tmp_path / "t.npz"), head_activation="sigmoid")
    assert up.head.activation == "sigmoid"


def test_read_arrays_gives_float64_in_the_files_order(tmp_path):
    model = Tagger("GRU", layers=2)
    path = save_torch(model, tmp_path / "t.npz")
    arrays = read_arrays(path.name, path.read_bytes())
    assert list(arrays) == list(model.state_dict()) and all(a.dtype == np.float64 for a in arrays.values())
    half = safetensors_torch.save({"rnn.weight_ih_l0": torch.ones(3, 2, dtype=torch.float16)})
    assert read_arrays("h.safetensors", half)["rnn.weight_ih_l0"].dtype == np.float64


# ---------------------------------------------------------------- Keras 3

@pytest.fixture(scope="module")
def keras():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "numpy":
        pytest.skip(f"keras runs on the {keras.backend.backend()} backend here, not numpy")
    return keras


KERAS_CELLS = {  # name -> (layer class, kwargs)
    "simple_rnn": ("SimpleRNN", {}),
    "simple_rnn_relu": ("SimpleRNN", {"activation": "relu"}),
    "gru": ("GRU", {}),
    "gru_classic": ("GRU", {"reset_after": False}),
    "lstm": ("LSTM", {}),
}


def keras_model(keras, kind, merge, layers=2, d=4, h=3, q=5, embedding=False, **extra):
    """Sequential: [Embedding] -> ``layers`` recurrent layers (Bidirectional with ``merge`` unless None) -> Dense."""
    L = keras.layers
    cls, kw = KERAS_CELLS[kind]
    keras.utils.set_random_seed(7)
    stack = [keras.Input((None,), dtype="int32"), L.Embedding(12, d)] if embedding else [keras.Input((None, d))]
    for _ in range(layers):
        rnn = getattr(L, cls)(h, return_sequences=True, **kw, **extra)
        stack.append(rnn if merge is None else L.Bidirectional(rnn, merge_mode=merge))
    return keras.Sequential(stack + [L.Dense(q)])


def keras_npz(model, path):
    """The one line the module docstring tells Keras users to run."""
    np.savez(path, **{w.path: w.numpy() for w in model.weights})
    assert upload.KERAS_NPZ_LINE == 'np.savez("model.npz", **{w.path: w.numpy() for w in model.weights})'
    return path


@pytest.mark.parametrize("kind", list(KERAS_CELLS))
@pytest.mark.parametrize("merge", [None, "concat", "sum", "mul", "ave"])
def test_a_keras_stack_reads_back_to_keras_predict(keras, tmp_path, kind, merge):
    model = keras_model(keras, kind, merge)
    act = KERAS_CELLS[kind][1].get("activation", "tanh")
    up = read_file(keras_npz(model, tmp_path / "k.npz"), activation=act, merge=merge or "concat")
    X = np.random.default_rng(1).normal(size=(2, 6, 4))
    want = model.predict(X.astype(np.float32), verbose=0)
    np.testing.assert_allclose(run(up.model, X).logits, want, atol=KERAS_TOL, rtol=KERAS_TOL)
    assert len(up.layers) == 2 and all(l.bidirectional == (merge is not None) for l in up.layers)
    assert up.source.startswith(f"Keras {KERAS_CELLS[kind][0]}")
    assert up.layers[0].cell == ("rnn" if kind.startswith("simple") else kind)


def test_a_keras_tagger_with_an_embedding(keras, tmp_path):
    model = keras_model(keras, "lstm", "concat", layers=1, embedding=True)
    up = read_file(keras_npz(model, tmp_path / "k.npz"))
    assert up.embeddings.shape == (12, 4) and "embedding 12 × 4" in up.source
    want = model.predict(np.array(IDS, dtype=np.int32), verbose=0)
    np.testing.assert_allclose(run(up.model, up.embeddings[np.array(IDS)]).logits, want, atol=KERAS_TOL, rtol=0)


@pytest.mark.parametrize("reset_after", [True, False])
def test_a_bias_free_keras_gru_takes_reset_after_as_a_parameter(keras, tmp_path, reset_after):
    model = keras_model(keras, "gru", "concat", reset_after=reset_after, use_bias=False)
    up = read_file(keras_npz(model, tmp_path / "k.npz"), reset_after=reset_after)
    assert up.layers[0].cell == ("gru" if reset_after else "gru_classic")
    X = np.random.default_rng(2).normal(size=(1, 5, 4))
    np.testing.assert_allclose(run(up.model, X).logits, model.predict(X.astype(np.float32), verbose=0),
                               atol=KERAS_TOL, rtol=0)


def test_a_keras_grus_bias_contradicting_reset_after_is_refused(keras, tmp_path):
    path = keras_npz(keras_model(keras, "gru_classic", None), tmp_path / "k.npz")
    refused(path.name, path.read_bytes(), "reset_after=False", "choose False", reset_after=True)


def test_keras_layers_of_different_cells_are_refused(keras, tmp_path):
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 4)), L.LSTM(3, return_sequences=True),
                              L.GRU(3, return_sequences=True), L.Dense(2)])
    path = keras_npz(model, tmp_path / "mixed.npz")
    refused(path.name, path.read_bytes(), "layer 2's is GRU", "share one cell")


def test_a_wrong_keras_merge_says_which_fits(keras, tmp_path):
    path = keras_npz(keras_model(keras, "lstm", "sum"), tmp_path / "k.npz")
    refused(path.name, path.read_bytes(), "Layer 2's kernel reads 3 features", "fit merge 'sum' or 'mul' or 'ave'",
            "merge_mode")


# ---------------------------------------------------------------- files refused

@pytest.mark.parametrize("ext", [".pt", ".pth", ".bin", ".ckpt", ".pkl"])
def test_pickles_are_never_opened_and_the_three_lines_work(tmp_path, ext):
    model = Tagger("GRU")
    torch.save(model.state_dict(), tmp_path / f"tagger{ext}")
    message = refused(f"tagger{ext}", (tmp_path / f"tagger{ext}").read_bytes(), "never unpickles")
    code = [line[4:] for line in message.splitlines() if line.startswith("    ")]
    assert code == ["from safetensors.torch import save_file",
                    f'model.load_state_dict(torch.load("tagger{ext}", weights_only=True))',
                    'save_file(model.state_dict(), "model.safetensors")']
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        exec("\n".join(code), {"torch": torch, "model": Tagger("GRU", bias=True, layers=1, bi=True, q=5)})
    finally:
        os.chdir(cwd)
    up = read_file(tmp_path / "model.safetensors")
    np.testing.assert_allclose(run(up.model, up.embeddings[np.array(IDS)]).logits, torch_logits(model, IDS),
                               atol=TORCH_TOL, rtol=0)


@pytest.mark.parametrize("name,says", [
    ("model.onnx", "upload a PyTorch state_dict as .safetensors or .npz"),
    ("model.keras", upload.KERAS_NPZ_LINE),
    ("model.h5", ".safetensors"),
    ("model", ".safetensors or .npz"),
])
def test_other_formats_say_what_to_upload(name, says):
    refused(name, b"anything", says)


@pytest.mark.parametrize("name", ["m.npz", "m.safetensors"])
def test_an_empty_file(name):
    refused(name, b"", "is empty", "upload the saved file again")


def test_a_file_over_the_size_cap():
    refused("m.npz", b"\0" * (upload.MAX_UPLOAD_BYTES + 1), "up to 8.0 MB", "float32", "train a smaller model")


def test_the_largest_model_with_a_100000_word_embedding_fits_under_the_cap(tmp_path):
    model = Tagger("LSTM", d=16, h=16, layers=3, q=12, V=upload.MAX_VOCAB_TOKENS)
    path = save_torch(model, tmp_path / "big.safetensors")
    assert path.stat().st_size <= upload.MAX_UPLOAD_BYTES
    up = read_file(path)
    assert up.embeddings.shape == (100_000, 16) and len(up.layers) == 3 and up.head.W.shape == (12, 32)


def test_an_npz_object_array_is_a_pickle_and_refused():
    data = npz_bytes(**{"rnn.weight_ih_l0": np.array([{"x": 1}], dtype=object)})
    refused("m.npz", data, "object array", "never loads", "float arrays")


def zip_bytes(members: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_before_it_unpacks():
    bomb = zip_bytes({"a.npy": b"\0" * (upload.MAX_UNPACKED_BYTES + 1)})
    assert len(bomb) < upload.MAX_UPLOAD_BYTES
    refused("bomb.npz", bomb, "unpacks to 32.0 MB", "at most")


def test_an_npz_of_too_many_members_is_refused():
    many = zip_bytes({f"a{i}.npy": b"" for i in range(upload.MAX_MEMBERS + 1)})
    refused("many.npz", many, f"holds {upload.MAX_MEMBERS + 1} arrays", "Save only the model's weights")


def test_a_member_that_lies_about_its_size_stops_at_the_size_it_declared():
    """The central directory says 200 bytes; the member inflates to 1 MB: reading stops at 200 and the
    file is called damaged, never unpacked further."""
    raw = bytearray(zip_bytes({"a.npy": b"\0" * 2**20}))
    local, central = raw.find(b"PK\x03\x04"), raw.find(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, 200)
    struct.pack_into("<I", raw, central + 24, 200)
    refused("liar.npz", bytes(raw), "damaged or cut short")


def test_an_npy_header_claiming_a_huge_shape_is_damaged():
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)})
    refused("huge.npz", zip_bytes({"rnn.weight_ih_l0.npy": buf.getvalue() + b"\0" * 16}), "damaged")


def test_an_npz_member_not_written_by_savez_is_refused():
    refused("odd.npz", zip_bytes({"notes.txt": b"hi"}), "'notes.txt'", "np.savez")


@pytest.mark.parametrize("cut", [0.5, 0.9])
@pytest.mark.parametrize("ext", [".safetensors", ".npz"])
def test_a_truncated_file_is_damaged(tmp_path, ext, cut):
    data = save_torch(Tagger("LSTM"), tmp_path / f"m{ext}").read_bytes()
    refused(f"m{ext}", data[: int(len(data) * cut)], "save it again" if ext == ".npz" else "damaged")


@pytest.mark.parametrize("ext", [".safetensors", ".npz"])
def test_garbage_is_damaged(ext):
    refused(f"m{ext}", b"\x00\x01broken bytes that are no format at all", ext.lstrip("."))


def safetensors_with(header: dict, body: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


def test_a_safetensors_header_claiming_huge_sizes_is_refused():
    refused("h.safetensors", struct.pack("<Q", 10**12) + b"{}", "claims a 1,000,000,000,000-byte header")
    huge = {"rnn.weight_ih_l0": {"dtype": "F32", "shape": [10**6, 10**6], "data_offsets": [0, 8]}}
    refused("h.safetensors", safetensors_with(huge, b"\0" * 8), "do not fit the file's 8 data bytes")
    beyond = {"rnn.weight_ih_l0": {"dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}}
    refused("h.safetensors", safetensors_with(beyond, b"\0" * 8), "damaged")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.complex64, np.uint8])
def test_non_float_arrays_are_refused_in_npz(dtype):
    data = npz_bytes(**{"rnn.weight_ih_l0": np.zeros((3, 2), dtype=dtype)})
    refused("m.npz", data, "'rnn.weight_ih_l0'", "float weights only")


@pytest.mark.parametrize("dtype", [torch.int64, torch.bool, torch.complex64, torch.bfloat16])
def test_non_float_tensors_are_refused_in_safetensors(dtype):
    data = safetensors_torch.save({"bn.num_batches_tracked": torch.zeros(3, dtype=dtype)})
    refused("m.safetensors", data, "'bn.num_batches_tracked'", "float16/32/64 weights only", "model.float()")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(bad):
    sd = state_dict(Tagger("LSTM"))
    sd["rnn.weight_hh_l0"][2, 1] = bad
    refused("m.npz", npz_bytes(**sd), "'rnn.weight_hh_l0'", "[2, 1]", "finite number")


def test_a_file_without_a_recurrent_layer():
    data = npz_bytes(**{"fc.weight": np.ones((2, 3)), "fc.bias": np.ones(2)})
    refused("m.npz", data, "holds no recurrent layer", "'fc.weight'", "weight_ih_l0", upload.KERAS_NPZ_LINE)


def test_a_missing_weight_hh_is_named():
    sd = state_dict(Tagger("GRU", layers=2))
    del sd["rnn.weight_hh_l1"]
    refused("m.npz", npz_bytes(**sd), "no 'rnn.weight_hh_l1'", "Save the whole state_dict")


def test_half_the_biases_are_refused():
    sd = state_dict(Tagger("GRU", layers=1, bi=False))
    del sd["rnn.bias_hh_l0"]
    refused("m.npz", npz_bytes(**sd), "'rnn.bias_hh_l0'", "both biases")


def test_weight_ih_rows_not_a_multiple_of_the_hidden_size():
    sd = state_dict(Tagger("LSTM"))
    sd["rnn.weight_ih_l0"] = np.ones((11, 4), dtype=np.float32)
    refused("m.npz", npz_bytes(**sd), "'rnn.weight_ih_l0' has shape (11, 4)", "must be (12, 4)")


def test_weight_hh_of_no_cell():
    sd = state_dict(Tagger("LSTM"))
    sd["rnn.weight_hh_l0"] = np.ones((6, 3), dtype=np.float32)
    refused("m.npz", npz_bytes(**sd), "'rnn.weight_hh_l0' has shape (6, 3)", "G = 1 (SimpleRNN), 3 (GRU), 4 (LSTM)")


def test_layer_2_reading_other_than_layer_1s_output():
    sd = state_dict(Tagger("GRU", layers=2))
    sd["rnn.weight_ih_l1"] = np.ones((9, 5), dtype=np.float32)
    refused("m.npz", npz_bytes(**sd), "'rnn.weight_ih_l1' has shape (9, 5)", "layer 2 reads 6 features", "(9, 6)")


def test_a_reverse_direction_of_another_hidden_size():
    sd, other = state_dict(Tagger("LSTM")), state_dict(Tagger("LSTM", h=2))
    for k in other:
        if k.endswith("_reverse"):
            sd[k] = other[k]
    refused("m.npz", npz_bytes(**sd), "'rnn.weight_hh_l0_reverse' has shape (8, 2)", "(12, 3)")


def test_an_lstm_with_projections_is_refused():
    lstm = torch.nn.LSTM(4, 3, proj_size=2, batch_first=True)
    refused("m.npz", npz_bytes(**state_dict(lstm)), "proj_size")


def test_two_recurrent_modules_are_refused():
    sd = {f"a.{k}": v for k, v in state_dict(torch.nn.GRU(3, 2)).items()}
    sd.update({f"b.{k}": v for k, v in state_dict(torch.nn.GRU(3, 2)).items()})
    refused("m.npz", npz_bytes(**sd), "several recurrent modules", "'a.', 'b.'")


def test_a_stacked_bidirectional_torch_model_merges_by_concat():
    refused("m.npz", npz_bytes(**state_dict(Tagger("GRU", layers=2))), "choose merge 'concat'", merge="sum")


def test_torchs_rnn_has_only_tanh_and_relu():
    refused("m.npz", npz_bytes(**state_dict(Tagger("RNN"))), "tanh or relu", activation="sigmoid")


@pytest.mark.parametrize("kw,says", [
    ({"layers": 4, "bi": False}, "4 recurrent layers"),
    ({"d": 17}, "inputs of size d = 17"),
    ({"h": 17}, "hidden size 17"),
    ({"q": 13}, "13 classes"),
])
def test_models_beyond_the_explainers_sizes_are_refused(kw, says):
    data = npz_bytes(**state_dict(Tagger("GRU", **kw)))
    refused("big.npz", data, says, "at most 3 recurrent layers", "sizes up to 16", "12 output classes",
            "train a smaller model")


def test_a_weight_that_could_be_embedding_or_head_is_named():
    """d = m = 4 and neither a bias nor a telling name: the two 4-column matrices are ambiguous."""
    sd = {f"enc.{k}": v for k, v in state_dict(torch.nn.LSTM(4, 4)).items()}
    sd.update({"a.weight": np.ones((9, 4)), "b.weight": np.ones((3, 4))})
    refused("m.npz", npz_bytes(**sd), "'a.weight' (9, 4) could be the embedding", "rename it")


def test_two_output_layers_are_ambiguous():
    sd = state_dict(Tagger("GRU"))
    sd.update({"fc2.weight": np.ones((2, 6)), "fc2.bias": np.ones(2)})
    refused("m.npz", npz_bytes(**sd), "Several entries could be the output layer", "'fc.weight'", "'fc2.weight'")


def test_weights_the_explainer_cannot_place_are_named():
    sd = state_dict(Tagger("GRU"))
    sd.update({"norm.weight": np.ones(6), "norm.bias": np.zeros(6)})
    refused("m.npz", npz_bytes(**sd), "cannot place: 'norm.weight', 'norm.bias'", "save only those")


def test_the_module_imports_neither_torch_nor_streamlit():
    code = ("import sys, app.upload; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'streamlit', 'keras', 'safetensors')]; assert not bad, bad")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# ---------------------------------------------------------------- vocabulary

VOCAB = ["<pad>", "i", "love", "ai", "the", "Bank"]


@pytest.mark.parametrize("name,data", [
    ("v.txt", "\n".join(VOCAB).encode()),
    ("v.txt", ("\ufeff" + "\r\n".join(VOCAB) + "\r\n").encode()),
    ("v.json", json.dumps(VOCAB).encode()),
    ("v.json", json.dumps({w: i for i, w in reversed(list(enumerate(VOCAB)))}).encode()),
])
def test_vocabularies_read(name, data):
    assert read_vocabulary(name, data) == VOCAB


@pytest.mark.parametrize("name,data,says", [
    ("v.txt", b"a\nb\na\n", ["Line 3", "repeats 'a' (line 1)"]),
    ("v.txt", b"a\n\nb\n", ["Line 2", "is empty", "remove blank lines"]),
    ("v.txt", b"a\nthe 1234\n", ["Line 2", "one token per line", "no counts"]),
    ("v.txt", b"a\nb\xff\n", ["Line 2", "UTF-8"]),
    ("v.json", b'["a", "b", "a"]', ["Entry 3", "repeats"]),
    ("v.json", b'{"a": 1}', ["JSON list of tokens"]),
    ("v.json", b'["a", 1]', ["JSON list of tokens"]),
    ("v.json", b"[1, 2", ["not valid JSON"]),
    ("v.csv", b"a,b", [".txt", ".json"]),
    ("v.txt", b"", ["is empty"]),
])
def test_bad_vocabularies_say_where(name, data, says):
    with pytest.raises(ValidationError) as e:
        read_vocabulary(name, data)
    for s in says:
        assert s in str(e.value), str(e.value)


def test_a_vocabulary_over_the_cap():
    data = "\n".join(f"t{i}" for i in range(upload.MAX_VOCAB_TOKENS + 1)).encode()
    with pytest.raises(ValidationError, match="100,001 tokens"):
        read_vocabulary("v.txt", data)


def test_embed_tokens_looks_rows_up():
    E = np.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(embed_tokens(["i", "love", "i"], VOCAB, E), E[[1, 2, 1]])


def test_an_unknown_token_is_named_and_never_silently_unknown():
    E = np.zeros((6, 2))
    with pytest.raises(ValidationError) as e:
        embed_tokens(["i", "love", "pizza", "bank", "pizza"], VOCAB, E)
    message = str(e.value)
    assert "'pizza', 'bank' are not in the vocabulary" in message and "'bank' (the vocabulary has" not in message
    assert "<unk>" not in message
    with pytest.raises(ValidationError) as e:
        embed_tokens(["THE"], VOCAB + ["<unk>"], np.zeros((7, 2)))
    assert "'THE' is not in the vocabulary" in str(e.value) and "try 'THE' (the vocabulary has 'the')" in str(e.value)
    assert "type <unk>" in str(e.value)


def test_embed_tokens_checks_the_vocabulary_length_and_the_tokens():
    with pytest.raises(ValidationError, match="lists 6 tokens but the embedding matrix is"):
        embed_tokens(["i"], VOCAB, np.zeros((5, 2)))
    with pytest.raises(ValidationError, match="Token 2 is empty"):
        embed_tokens(["i", " "], VOCAB, np.zeros((6, 2)))
    with pytest.raises(ValidationError, match="type 1 to 60"):
        embed_tokens(["i"] * 61, VOCAB, np.zeros((6, 2)))


def test_a_sentence_through_the_uploaded_vocabulary_matches_torch(tmp_path):
    model = Tagger("LSTM", layers=2, V=len(VOCAB))
    up = read_file(save_torch(model, tmp_path / "t.safetensors"))
    vocab = read_vocabulary("v.txt", "\n".join(VOCAB).encode())
    X = embed_tokens(["i", "love", "the", "ai"], vocab, up.embeddings)
    np.testing.assert_allclose(run(up.model, X).logits[0], torch_logits(model, [[1, 2, 4, 3]])[0],
                               atol=TORCH_TOL, rtol=0)
