"""Ready-made examples: the seed's "I love AI", seeded random models, the d2l polysemy pair."""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .params import DirectionParams, HeadParams, LayerParams, ModelParams
from .registry import get_cell, get_merge
from .trace import ModelTrace

SEED_TOKENS = ["I", "love", "AI"]
SEED_EMBEDDINGS = [[0.1, 0.3, 0.5], [0.2, 0.6, 0.8], [0.3, 0.7, 0.9]]
SEED_W = [[0.5, 0.3, 0.2], [0.4, 0.7, 0.6]]
SEED_U = [[0.6, 0.4], [0.5, 0.9]]
SEED_B = [0.1, 0.2]
# The seed gives no output layer; these W_o, b_o (2 classes) are ours, chosen small and readable.
SEED_HEAD_W = [[0.2, -0.1, 0.3, 0.1], [-0.3, 0.2, 0.1, 0.4]]
SEED_HEAD_B = [0.0, 0.0]

# Values seed 000 prints, keyed by (direction, t) with t = 1..T; the pre-activation of step 1 too.
SEED_PRINTED = {
    ("forward", 1): [0.327, 0.635],
    ("forward", 2): [0.765, 0.851],
    ("forward", 3): [0.88, 0.92],
    ("backward", 3): [0.805, 0.921],
    ("backward", 2): [0.742, 0.831],
    ("backward", 1): [0.658, 0.789],
}
SEED_PRINTED_PRE_STEP1 = [0.34, 0.75]

POLYSEMY_SENTENCES = ["i went to the bank to deposit cash", "i went to the bank to sit down"]


@dataclass
class Example:
    """A ready-to-run example: tokens, their embeddings (T, d), the model, and where it comes from."""

    name: str
    tokens: list[str]
    embeddings: np.ndarray
    model: ModelParams
    note: str = ""


def seed_example() -> Example:
    """Seed 000's worked example: W_f = W_b, U_f = U_b, b_f = b_b = [0.1, 0.2], tanh, concat."""
    direction = lambda: DirectionParams(SEED_W, SEED_U, SEED_B)
    layer = LayerParams("rnn", direction(), direction(), "tanh", "concat")
    return Example("Seed: I love AI", list(SEED_TOKENS), np.array(SEED_EMBEDDINGS, dtype=np.float64),
                   ModelParams([layer], HeadParams(SEED_HEAD_W, SEED_HEAD_B, "softmax")),
                   "Seed 000's hand-worked example. Its output layer is not given in the seed: "
                   "W_o and b_o here are our own small choice.")


@dataclass(frozen=True)
class SeedValue:
    """A state seed 000 prints beside the exact one (t is 1-based, as the seed counts)."""

    direction: str
    t: int
    printed: list[float]
    exact: np.ndarray

    @property
    def decimals(self) -> int:
        """The precision the seed prints this state to."""
        return max(len(repr(float(v)).split(".")[1]) for v in self.printed)

    @property
    def matches(self) -> bool:
        """Does the exact value, rounded as the seed rounds it, give the printed one?"""
        return bool(np.array_equal(np.round(self.exact, self.decimals), self.printed))


def is_seed_trace(trace: ModelTrace) -> bool:
    """True when ``trace`` runs seed 000's example (its tokens, embeddings, cell and both directions'
    weights), so that the states the seed prints are the ones to compare with."""
    ex, layer = seed_example(), trace.layers[0]
    same = lambda tr, p: all(np.array_equal(getattr(tr.params, k), getattr(p, k)) for k in ("W", "U", "b", "b_U"))
    seed = ex.model.layers[0]
    return (len(trace.layers) == 1 and list(trace.tokens) == ex.tokens and trace.X.shape[0] == 1
            and np.array_equal(trace.X[0], ex.embeddings) and layer.bwd is not None
            and all(tr.cell == seed.cell and tr.activation == seed.activation for tr in layer.directions)
            and same(layer.fwd, seed.fwd) and same(layer.bwd, seed.bwd))


def seed_comparison(trace: ModelTrace) -> list[SeedValue]:
    """Every state seed 000 prints (forward t = 1..T, then backward), beside the exact value in ``trace``."""
    chains = {d.name: d for d in trace.layers[0].directions}
    keys = sorted(SEED_PRINTED, key=lambda k: (k[0] != "forward", k[1]))
    return [SeedValue(direction, t, SEED_PRINTED[direction, t], chains[direction].h[0, t - 1])
            for direction, t in keys]


def init_direction(rng: np.random.Generator, cell: str, d: int, h: int, bias: bool = True) -> DirectionParams:
    """PyTorch's initialisation: every weight and bias ~ U(-1/sqrt(h), 1/sqrt(h)) (NumPy's RNG)."""
    k, G = 1.0 / np.sqrt(h), get_cell(cell).n_blocks
    u = lambda *shape: rng.uniform(-k, k, size=shape)
    return DirectionParams(u(G * h, d), u(G * h, h), u(G * h) if bias else np.zeros(G * h),
                           u(G * h) if bias else np.zeros(G * h))


def random_model(cell: str = "rnn", d: int = 3, h_f: int = 2, h_b: int | None = 2, q: int | None = 2,
                 num_layers: int = 1, seed: int = 0, activation: str = "tanh", merge: str = "concat",
                 bias: bool = True) -> ModelParams:
    """A seeded random model; ``h_b=None`` makes it unidirectional, ``q=None`` drops the head."""
    get_cell(cell), get_merge(merge)  # unknown names: a ValidationError naming the known ones
    rng = np.random.default_rng(seed)
    layers, inp = [], d
    for l in range(num_layers):
        fwd = init_direction(rng, cell, inp, h_f, bias)
        bwd = init_direction(rng, cell, inp, h_b, bias) if h_b else None
        layer = LayerParams(cell, fwd, bwd, activation, merge if l == num_layers - 1 else "concat")
        layers.append(layer)
        inp = layer.output_size
    head = None
    if q:
        k = 1.0 / np.sqrt(inp)
        head = HeadParams(rng.uniform(-k, k, (q, inp)), rng.uniform(-k, k, q), "softmax")
    return ModelParams(layers, head)


def word_embedding(word: str, d: int, seed: int = 0) -> np.ndarray:
    """A fixed pseudo-random embedding (d,) for ``word``: the same word always gets the same vector."""
    rng = np.random.default_rng([zlib.crc32(word.encode("utf-8")), seed])
    return np.round(rng.uniform(-1.0, 1.0, d), 2)


def embed(tokens: list[str], d: int, seed: int = 0) -> np.ndarray:
    """(T, d) embeddings of ``tokens`` with :func:`word_embedding`."""
    return np.stack([word_embedding(w.lower(), d, seed) for w in tokens]) if tokens else np.zeros((0, d))


def random_example(tokens: list[str] | None = None, cell: str = "rnn", d: int = 3, h: int = 2,
                   q: int = 2, seed: int = 0) -> Example:
    tokens = tokens or ["the", "cat", "sat", "down"]
    return Example(f"Random (seed {seed})", tokens, embed(tokens, d, seed),
                   random_model(cell, d, h, h, q, seed=seed),
                   "Weights drawn as PyTorch draws them, U(-1/sqrt(h), 1/sqrt(h)), from NumPy's RNG "
                   f"seeded with {seed}; embeddings rounded to 2 decimals.")


def polysemy_examples(d: int = 4, h: int = 3, seed: int = 0) -> list[Example]:
    """The d2l exercise pair: "bank" has one embedding, but its merged vector differs by context."""
    model = random_model("rnn", d, h, h, 2, seed=seed)
    out = []
    for sentence in POLYSEMY_SENTENCES:
        tokens = sentence.split()
        out.append(Example(f"Polysemy: {sentence}", tokens, embed(tokens, d, seed), model.copy(),
                           "Same weights and the same embedding for 'bank' in both sentences: only the "
                           "backward direction can tell them apart at 'bank'."))
    return out


def stacked_example(seed: int = 3) -> Example:
    """d2l's exercise 2: a bidirectional RNN with two hidden layers; layer 2 reads layer 1's merged vectors."""
    tokens = ["I", "love", "AI"]
    return Example("Stacked: 2 bidirectional layers", tokens, embed(tokens, 3, seed),
                   random_model("rnn", 3, 2, 2, 2, num_layers=2, seed=seed),
                   "d2l 10.4 exercise 2: layer 2's x_t is layer 1's merged vector m_t = [h_t^fwd; h_t^bwd], so "
                   "each of its states has read the whole sentence already.")


def all_presets() -> dict[str, Example]:
    """Every preset by name, for a picker."""
    examples = [seed_example(), *polysemy_examples(), random_example(),
                random_example(cell="gru", seed=1), random_example(cell="lstm", seed=2), stacked_example()]
    examples[-3].name, examples[-2].name = "Random GRU (seed 1)", "Random LSTM (seed 2)"
    return {e.name: e for e in examples}
