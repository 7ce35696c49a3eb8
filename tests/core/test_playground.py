"""NumPy training (core gradients + Adam) against torch.optim.Adam from the same weights on the same batches."""
import numpy as np
import pytest
import torch

from birnn_core import HeadParams, ModelParams, layers_from_torch_state_dict, layers_to_torch_state_dict
from playground import Adam, train_step


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_five_adam_steps_match_torch(cell):
    rng = np.random.default_rng(1)
    B, T, d, h, q = 4, 6, 3, 5, 3
    torch.manual_seed(1)
    rnn = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](
        d, h, bidirectional=True, batch_first=True).double()
    head = torch.nn.Linear(2 * h, q).double()
    opt_t = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.05)
    model = ModelParams(layers_from_torch_state_dict({k: v.numpy().copy() for k, v in rnn.state_dict().items()}, cell),
                        HeadParams(head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy(), "softmax"))
    opt = Adam(model, lr=0.05)
    for _ in range(5):
        X, y = rng.normal(size=(B, T, d)), rng.integers(0, q, size=(B, T))
        opt_t.zero_grad()
        out, _ = rnn(torch.from_numpy(X))
        loss_t = torch.nn.functional.cross_entropy(head(out).reshape(-1, q), torch.from_numpy(y).reshape(-1))
        loss_t.backward()
        opt_t.step()
        loss = train_step(model, opt, X, np.full(B, T), y)
        assert loss == pytest.approx(loss_t.item(), abs=1e-9)
    ours = layers_to_torch_state_dict(model.layers)
    for k, v in rnn.state_dict().items():
        np.testing.assert_allclose(ours[k], v.numpy(), atol=1e-9)
    np.testing.assert_allclose(model.head.W, head.weight.detach().numpy(), atol=1e-9)


def test_task_labels_follow_their_rule():
    from playground import TASKS
    x = np.array([[3, 0, 4, 1, 2]])
    assert TASKS["next_parity"].labels(x).tolist() == [[0, 0, 1, 0, 2]]
    assert TASKS["previous_parity"].labels(x).tolist() == [[2, 1, 0, 0, 1]]
    assert TASKS["marker_later"].labels(x).tolist() == [[1, 0, 0, 0, 0]]      # the marker is token 0
    assert TASKS["marker_later"].labels(np.array([[0, 0, 1]])).tolist() == [[1, 0, 0]]
    assert TASKS["reverse"].labels(x).tolist() == [[2, 1, 4, 0, 3]]


def test_the_gap_between_uni_and_bi_appears_where_the_right_context_decides():
    """Trained for real (150 Adam steps, seeded): on 'next parity' the bidirectional GRU is right
    almost everywhere, the unidirectional one cannot beat guessing the next token; on the
    left-context control task both learn it."""
    from playground import TASKS, start
    final = {}
    for name in ("next_parity", "previous_parity"):
        for bi in (False, True):
            r = start(TASKS[name], "gru", bi, seed=0)
            r.advance(150, every=50)
            final[name, bi] = r.history[-1][2]
    assert final["next_parity", True] > 0.95 and final["next_parity", False] < 0.65
    assert final["previous_parity", True] > 0.95 and final["previous_parity", False] > 0.95


def _left_context_bayes_rate(task, T: int) -> float:
    """The best accuracy from x_1..x_t alone, by enumerating every sequence of length T: at each t, for
    each prefix, the most frequent label among its continuations."""
    import itertools
    x = np.array(list(itertools.product(range(task.vocab), repeat=T)))
    y = task.labels(x)
    right = 0
    for t in range(T):
        prefix = x[:, :t + 1] @ (task.vocab ** np.arange(t + 1))       # one id per prefix
        counts = np.zeros((task.vocab ** (t + 1), task.classes))
        np.add.at(counts, (prefix, y[:, t]), 1)
        right += counts.max(axis=1).sum()
    return right / (len(x) * T)


@pytest.mark.parametrize("name", ["next_parity", "marker_later", "reverse", "previous_parity"])
@pytest.mark.parametrize("T", [3, 4, 5])
def test_the_left_context_bound_is_the_bayes_rate(name, T):
    from playground import TASKS
    task = TASKS[name]
    assert task.left_context_bound(T) == pytest.approx(_left_context_bayes_rate(task, T), abs=1e-12)


def test_a_run_records_after_each_advance_and_hands_over_an_example():
    """advance(n) evaluates after its last step; example() is the evaluation sequence with a copy of the
    model, whose predictions through the core are the run's."""
    from birnn_core import run as run_core
    from playground import TASKS, start
    r = start(TASKS["marker_later"], "lstm", True, h=4, seed=3)
    r.advance(3)
    r.advance(2)
    assert [s for s, _, _ in r.history] == [3, 5]
    ex = r.example(1)
    assert ex.tokens == [TASKS["marker_later"].token_names()[k] for k in r.eval_X[1].argmax(-1)]
    assert "M" in TASKS["marker_later"].token_names()
    probs = run_core(ex.model, ex.embeddings[None]).probs
    np.testing.assert_array_equal(probs[0].argmax(-1), r.predictions(1))
    r.advance(1)
    assert not np.array_equal(ex.model.layers[0].fwd.W, r.model.layers[0].fwd.W)  # a copy, not the live model
