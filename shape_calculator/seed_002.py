"""Seed 002's Keras examples, recomputed with this package's rules: what the seed prints, what is
right, and why. Shapes are Keras layout (batch, time, features); the seed's input_data is (1, 3, 5).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .counts import param_counts, total_params
from .outputs import keras_outputs
from .spec import KERAS_MERGE, RecurrentSpec, count_text, none_batch, py, shape_text

# The seed's three layers, written without arguments, so each is Keras' default variant of its cell.
SEED_CELLS = ("rnn", "lstm", "gru")


@dataclass(frozen=True)
class SeedCheck:
    """One example of seed 002: what it prints, what is right, and why."""

    title: str
    seed_code: str
    seed_says: str
    correct: str
    verdict: str  # "matches" or "wrong"
    explanation: str
    corrected_code: str = ""


SEED_INPUT = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64,
                           return_sequences=True)


def _shape_of(spec: RecurrentSpec) -> tuple[int, ...]:
    return keras_outputs(spec)[0].shape


def seed_002_checks() -> list[SeedCheck]:
    """The seed's examples, recomputed with this module's rules (see the tests for the
    hand-checked numbers). Shapes are Keras layout, (batch, time, features)."""
    checks = []
    for name in SEED_CELLS:
        spec = replace(SEED_INPUT, cell=name)
        keras = spec.cell_entry.keras
        n = total_params(spec, "Keras")
        shape = _shape_of(spec)
        config = ", ".join(f"{k}={py(v)}" for k, v in keras.config.items())
        checks.append(SeedCheck(
            f"{keras.layer}(units=64, return_sequences=True) on (1, 3, 5)",
            f"layer = tf.keras.layers.{keras.layer}(units=64, return_sequences=True)(input_data)",
            "Shape: (1, 3, 64)", f"{shape_text(shape)}; {count_text(n)} parameters",
            "matches" if shape == (1, 3, 64) else "wrong",
            "One 64-vector per time step because return_sequences=True. Parameters: "
            + param_counts(spec, "Keras")[0].arithmetic
            + (f" ({config}, Keras' default since TF 2.0: two bias vectors)" if keras.split_bias else "")
            + ".",
        ))
    spec = RecurrentSpec(batch_size=2, time_steps=4, features=5, units=64, cell="rnn")
    checks.append(SeedCheck(
        "SimpleRNN(64, return_sequences=True) on batch 2 × 4 time steps",
        "input_data: shape (2, 4, 5)\n"
        "rnn_layer = tf.keras.layers.SimpleRNN(units=64, return_sequences=True)(input_data)",
        "(the seed prints no shape)", shape_text(_shape_of(spec)), "matches",
        "Batch and time steps pass through unchanged; only the feature axis becomes units. "
        f"The parameter count does not depend on them: still {count_text(total_params(spec, 'Keras'))}.",
    ))
    bi = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64, cell="lstm",
                       bidirectional=True)
    checks.append(SeedCheck(
        "Bidirectional(LSTM(64, return_sequences=True)) on (1, 3, 5)",
        "bidirectional_rnn = tf.keras.layers.Bidirectional(\n"
        "    tf.keras.layers.LSTM(64, return_sequences=True))(input_data)",
        "(the seed prints no shape)",
        f"{shape_text(_shape_of(bi))}; {count_text(total_params(bi, 'Keras'))} parameters",
        "matches",
        f"merge_mode defaults to {KERAS_MERGE}: 64 forward + 64 backward units per step. Two LSTMs with "
        "their own weights: " + param_counts(bi, "Keras")[0].arithmetic + ".",
    ))
    cells_spec = RecurrentSpec(batch_size=1, time_steps=3, features=5, units=64, cell="lstm",
                               num_layers=2, return_sequences=False)
    stacked = _shape_of(cells_spec)
    stacked_seq = _shape_of(replace(cells_spec, return_sequences=True))
    counts = param_counts(cells_spec, "Keras")
    checks.append(SeedCheck(
        "StackedRNNCells with two LSTMs",
        "lstm1 = tf.keras.layers.LSTM(64, return_sequences=True)\n"
        "lstm2 = tf.keras.layers.LSTM(64, return_sequences=True)\n"
        "stacked_lstm = tf.keras.layers.StackedRNNCells([lstm1, lstm2])\n"
        "rnn_output = tf.keras.layers.RNN(stacked_lstm)(input_data)",
        "Shape: (1, 3, 64)",
        f"Does not run. With cells: {shape_text(stacked)} ({shape_text(stacked_seq)} only "
        "with return_sequences=True on the RNN)",
        "wrong",
        "StackedRNNCells takes RNN *cells* (LSTMCell), which process one time step "
        "(batch, features); LSTM is a layer that processes a whole sequence, so the stack "
        "raises an error (where exactly depends on the Keras version). return_sequences "
        "belongs to the RNN wrapper, not to the cells: RNN(cells) returns the top cell's "
        f"output after the last step only, {shape_text(stacked)}. Parameters: layer 1 "
        f"{counts[0].arithmetic}, layer 2 {counts[1].arithmetic}; total "
        f"{count_text(sum(c.total for c in counts))}.",
        "cells = [tf.keras.layers.LSTMCell(64), tf.keras.layers.LSTMCell(64)]\n"
        "rnn_output = tf.keras.layers.RNN(cells)(input_data)"
        f"                         # {shape_text(stacked)}\n"
        "rnn_seq = tf.keras.layers.RNN(cells, return_sequences=True)(input_data)"
        f"  # {shape_text(stacked_seq)}",
    ))
    checks.append(SeedCheck(
        "RNN sequence generation loop",
        "rnn = tf.keras.layers.SimpleRNN(64, return_sequences=True)\n"
        "initial_state = rnn.get_initial_state(input_data)\n"
        "for _ in range(sequence_length):\n"
        "    output, new_state = rnn(sequence[-1], initial_state)\n"
        "    sequence.append(output)",
        "Shape of the last element in the sequence: (1, 3, 64)",
        "Does not run. Fixed as below, the last element is (1, 1, 5)",
        "wrong",
        "Without return_state=True the layer returns one tensor (1, 3, 64); unpacking it into "
        "`output, new_state` iterates its batch axis of length 1 and fails. With "
        "return_state=True the first call gives (1, 3, 64) and (1, 64), but the second call "
        "feeds that 64-feature output into a layer whose kernel is (5, 64): a shape error. "
        "The loop also passes the same initial_state every time, so nothing is carried over. "
        "(In Keras 3 get_initial_state takes a batch size, not a tensor.) Generation feeds one "
        "step at a time, maps the 64 units back to the 5 features, and carries the state.",
        "rnn = tf.keras.layers.SimpleRNN(64, return_sequences=True, return_state=True)\n"
        "to_features = tf.keras.layers.Dense(5)          # 64 units -> 5 features\n"
        "output, state = rnn(input_data)                 # (1, 3, 64), (1, 64)\n"
        "step = to_features(output[:, -1:, :])          # (1, 1, 5): the next input\n"
        "sequence = [input_data]\n"
        "for _ in range(sequence_length):\n"
        "    sequence.append(step)\n"
        "    output, state = rnn(step, initial_state=state)  # (1, 1, 64), (1, 64)\n"
        "    step = to_features(output)                  # (1, 1, 5)\n"
        "print(sequence[-1].shape)                       # (1, 1, 5)",
    ))
    checks.append(_seed_parameter_examples())
    ret = RecurrentSpec(batch_size=1, time_steps=40, features=64, units=128, cell="rnn",
                        return_sequences=False, return_state=True)
    out, state = keras_outputs(ret)
    checks.append(SeedCheck(
        "return_state=True in a Sequential model",
        "model.add(SimpleRNN(units=128, return_state=True, input_shape=(40, 64)))",
        "returns both the output sequence and the last state",
        f"the last output {none_batch(out.shape)} and the last state {none_batch(state.shape)}, "
        "not the sequence; and not inside a Sequential model",
        "wrong",
        "Without return_sequences=True the output is the last step's output, not the sequence; "
        "for SimpleRNN it equals the returned state. The layer returns two tensors, and a "
        "Sequential model needs one per layer (tf.keras raises \"All layers in a Sequential "
        "model should have a single output tensor. For multi-output layers, use the functional "
        f"API.\"). Parameters: {param_counts(ret, 'Keras')[0].arithmetic}.",
        "inputs = tf.keras.Input(shape=(40, 64))\n"
        "output, state = tf.keras.layers.SimpleRNN(128, return_state=True)(inputs)\n"
        "# output: (None, 128), state: (None, 128)\n"
        "seq, state = tf.keras.layers.SimpleRNN(\n"
        "    128, return_sequences=True, return_state=True)(inputs)\n"
        "# seq: (None, 40, 128), state: (None, 128)",
    ))
    checks.append(SeedCheck(
        "Custom cell: AbstractRNNCell",
        "class MyRNNCell(tf.keras.layers.AbstractRNNCell):\n"
        "    def __init__(self, units):\n"
        "        super(MyRNNCell, self).__init__()\n"
        "        self.units = units\n"
        "    def call(self, inputs, state):\n"
        "        new_state = inputs + state\n"
        "        output = new_state\n"
        "        return output, new_state\n"
        "rnn_layer = tf.keras.layers.RNN(MyRNNCell(64), return_sequences=True)(input_data)",
        "(the seed prints no shape)",
        "Does not run. Fixed as below: (1, 3, 64), 320 parameters",
        "wrong",
        "An RNN cell must say how big its state is (the `state_size` property, which "
        "AbstractRNNCell leaves abstract), so RNN(MyRNNCell(64)) cannot create the (1, 64) "
        "initial state. And `inputs + state` adds 5 features to 64 units: the input has to be "
        "mapped to 64 first, with a kernel of shape (5, 64) (5 × 64 = 320 parameters). The "
        "state also arrives as a list, one tensor per state.",
        "class MyRNNCell(tf.keras.layers.AbstractRNNCell):\n"
        "    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.units = units\n"
        "\n"
        "    @property\n"
        "    def state_size(self):\n"
        "        return self.units\n"
        "\n"
        "    @property\n"
        "    def output_size(self):\n"
        "        return self.units\n"
        "\n"
        "    def build(self, input_shape):               # input_shape: (batch, 5)\n"
        "        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),\n"
        "                                      name=\"kernel\")  # (5, 64)\n"
        "\n"
        "    def call(self, inputs, states):\n"
        "        new_state = tf.matmul(inputs, self.kernel) + states[0]  # (batch, 64)\n"
        "        return new_state, [new_state]\n"
        "\n"
        "rnn_layer = tf.keras.layers.RNN(MyRNNCell(64), return_sequences=True)(input_data)\n"
        "print(rnn_layer.shape)  # (1, 3, 64)",
    ))
    return checks


# The seed's "parameters of recurrent layers" examples: units, input_shape=(T, d), extra args.
SEED_PARAMETER_EXAMPLES = (
    (64, (10, 32), False, ""),
    (128, (20, 64), False, "activation='tanh'"),
    (32, (8, 16), False, "use_bias=True"),
    (64, (15, 128), False, "kernel_regularizer=l2(0.01)"),
    (128, (25, 32), False, "recurrent_regularizer=l1(0.001)"),
    (32, (12, 64), False, "bias_regularizer=l1_l2(l1=0.001, l2=0.01)"),
    (64, (30, 128), True, "return_sequences=True"),
)


def seed_parameter_examples() -> list[tuple[str, str, int, str]]:
    """(the seed's layer, output shape with batch None, parameters, arithmetic) per example."""
    rows = []
    for units, (T, d), seq, extra in SEED_PARAMETER_EXAMPLES:
        spec = RecurrentSpec(batch_size=1, time_steps=T, features=d, units=units,
                             cell="rnn", return_sequences=seq)
        count = param_counts(spec, "Keras")[0]
        args = ", ".join(a for a in (f"units={units}", extra, f"input_shape=({T}, {d})") if a)
        rows.append((f"SimpleRNN({args})", none_batch(keras_outputs(spec)[0].shape), count.total, count.arithmetic))
    return rows


def _seed_parameter_examples() -> SeedCheck:
    lines = ["| layer | output shape | parameters |", "|---|---|---|"]
    lines += [f"| `{layer}` | `{shape}` | {arith} |"
              for layer, shape, _, arith in seed_parameter_examples()]
    return SeedCheck(
        "The parameter examples (units, activation, use_bias, regularizers, return_sequences)",
        "model.add(SimpleRNN(units=64, input_shape=(10, 32)))\n"
        "model.add(SimpleRNN(units=128, activation='tanh', input_shape=(20, 64)))\n"
        "...",
        "what each argument means (no shapes printed)",
        "as described; shapes and counts below",
        "matches",
        "input_shape=(T, d) leaves the batch out, so Keras shows it as None. Without "
        "return_sequences only the last step comes out. Regularizers add to the loss, not to "
        "the parameters. (Each line builds its own model: stacked in one Sequential, the "
        "second layer would receive a 2-D output where it needs (batch, time, features).)\n\n"
        + "\n".join(lines),
    )
