"""Every session key, one row each, and the Streamlit glue for the shared Workspace: one per
session, read from a share link once, the trace computed once per change (every page reads it).

A key is declared once below as a ``Key``: the string Streamlit stores it under, and one line on
what it holds. Pages and modules use these names, never the string. Keys marked ``shared`` are
contracts between pages; a key ending in "_" is the prefix of a family of widget keys (one per
generation of the editors, per sentence, ...), spelled with ``Key.at``. The share-link fields
are a different table: app.workspace.FIELDS.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import streamlit as st

from birnn_core import ModelParams, ModelTrace, NonFiniteResultError, ValidationError, presets, run
from taggers import tagger as tg

from app import text
from app.workspace import Workspace


class Key(str):
    """A session-state key: the string itself (usable wherever Streamlit takes a key), with what it holds."""

    meaning: str
    shared: bool

    def __new__(cls, key: str, meaning: str, *, shared: bool = False) -> "Key":
        self = super().__new__(cls, key)
        self.meaning, self.shared = meaning, shared
        return self

    def __reduce__(self) -> tuple:  # copy and pickle rebuild a Key (with its meaning), not a bare str
        return Key, (str(self), self.meaning), {"shared": self.shared}

    def at(self, *parts) -> str:
        """One member of a key family: Key("X_", ...).at("0_1") -> "X_0_1"."""
        if not self.endswith("_"):
            raise ValueError(f"{self!r} is one key, not a family of keys")
        return self + "_".join(map(str, parts))


# ---------------------------------------------------------------- the table: every session key

# the shared workspace and its computation (app.state, every page)
WORKSPACE = Key("workspace", "the Workspace every page shows (Step by step edits it)")
WS_VERSION = Key("ws_version", "int bumped on every change of the workspace")
TRACE = Key("trace", "the Computation of the workspace at TRACE_VERSION")
TRACE_VERSION = Key("trace_version", "the WS_VERSION the cached TRACE was computed at")
LAST_GOOD = Key("last_good", "the last valid ModelTrace, shown while an edit is invalid")
PREV_TRACE = Key("prev_trace", "the trace before the last change: the states table outlines what changed")
URL_ERROR = Key("url_error", "why the address's share link could not be opened (None once the person edits)")
RERUN_MS = Key("_rerun_ms", "server time of the last full rerun in ms (the entry file; read by benchmarks)")

# which page a full run shows (the entry file), so a page can tell that the person has just arrived
PAGE_SHOWN = Key("page_shown", "url path of the page this full run shows")
PREVIOUS_PAGE = Key("previous_page", "url path of the page the run before showed")

# contracts between pages
MODEL_PARAMS = Key("model_params", "ModelParams of the last valid workspace (read by Shapes & parameters)",
                   shared=True)
INSPECT = Key("inspect", "HandedOver: a trained tagger's trace, handed over by Uni vs Bi to Step by step "
              "and Arrows diagram", shared=True)
STEP_SOURCE = Key("step_source", "radio on Step by step: 'workspace' or 'tagger' (set by the hand-over)",
                  shared=True)
DIAGRAM_SOURCE = Key("diagram_source", "radio on Arrows diagram: 'workspace' or 'tagger' (set by the hand-over)",
                     shared=True)

# Step by step: the editors' generation (see restart_workspace) and their tables
GEN = Key("gen", "generation of the workspace's shape: bumped when a control replaces it, so every editor "
          "gets new keys")
DRAWN_GEN = Key("drawn_gen", "the GEN the controls above the fragment were drawn with (the fragment reruns "
                "the page when GEN moves on)")
TAB_GEN = Key("tab_gen", "bumped on a change of tab: a table that reappears starts from the workspace")
FRAMES = Key("frames", "the editors' frames, built from the workspace at FRAMES_GEN")
FRAMES_GEN = Key("frames_gen", "the 'GEN_TAB_GEN' the FRAMES were built at")
SENTENCE_MSG = Key("sentence_msg", "why the typed sentence was refused, or None")
IMPORT_MSG = Key("import_msg", "why the imported JSON was refused, or None")

# Step by step widgets
PRESET_PICK = Key("preset_pick", "selectbox: the preset to load")
CELL = Key("cell_", "selectbox per GEN: the cell")
ACTIVATION = Key("act_", "selectbox per GEN: the SimpleRNN activation")
MERGE = Key("merge_", "selectbox per GEN: the merge mode")
OUTPUT = Key("out_", "selectbox per GEN: the output activation")
BIDIRECTIONAL = Key("bi_", "toggle per GEN: bidirectional")
TIE = Key("tie_", "toggle per GEN: tie the backward weights to the forward ones")
SIZES = {what: Key(f"{what}_", f"number input per GEN: {what}") for what in ("d", "h_f", "h_b", "q", "layers")}
EDIT_LAYER = Key("edit_layer", "radio: the layer whose weights the Forward / Backward tabs edit (a stack)")
STEP_LAYER = Key("step_layer", "radio: the layer whose step is written out (a stack)")
EDIT_TAB = Key("edit_tab", "tabs: the open editor tab (only its tables are drawn)")
EMBEDDINGS_EDITOR = Key("X_", "data editor per GEN_TAB_GEN: tokens and embeddings")
DIRECTION_EDITOR = Key("dir_", "data editor per direction ('f', 'b') and GEN_TAB_GEN: [W | U | b (| b_U)]")
HEAD_EDITOR = Key("head_", "data editor per GEN_TAB_GEN: [W_o | b_o]")
NUDGE_TARGET = Key("nudge_target_", "selectbox per GEN_TAB_GEN: the number to nudge")
NUDGE_VALUE = Key("nudge_value_", "number input per GEN_TAB_GEN and target: the nudged number")
SCRUB = Key("scrub_", "scrub component per GEN_TAB_GEN: its 'release' trigger holds the frame let go at, "
            "'pick' the number pressed on")
SCRUB_ERROR = Key("matrix_typing_error", "{label, text, message}: a number typed into the scrub's matrix and refused")
SCRUB_RERUN_PAGE = Key("rerun_page_after_scrub", "a scrub was let go or a number chosen in it: its fragment reruns the page")
SENTENCE = Key("sentence", "text input: a typed sentence (Enter replaces the tokens)")
T_SLIDER = Key("t_slider", "select slider: the time step written out (clamped to the sentence)")
SHOW_SEED = Key("show_seed", "toggle: the seed check panel")
SHOW_OWN = Key("show_own", "toggle: the panel that loads a person's own PyTorch or Keras model")
OWN_FILE = Key("own_file", "file uploader: the model's weights (.safetensors / .npz)")
OWN_VOCAB = Key("own_vocab", "file uploader: the vocabulary of the file's embedding matrix (optional)")
OWN_ACTIVATION = Key("own_activation", "selectbox: nn.RNN's nonlinearity / SimpleRNN's activation (not in the weights)")
OWN_MERGE = Key("own_merge", "selectbox: Keras' merge_mode (not in the weights; PyTorch concatenates)")
OWN_TOKENS = Key("own_tokens", "text input: the sentence the loaded model reads")
OWN_LOAD = Key("own_load", "button: load the file into the workspace")
OWN_MSG = Key("own_msg", "(kind, text) of the last load: 'error' says what to change, 'success' what was loaded")
SHOW_SHARE = Key("show_share", "toggle: the share and export panel")
IMPORT_FILE = Key("import_file", "file uploader: a JSON exported from the page")
INSPECT_T = Key("inspect_t", "select slider: the tagger's time step")
INSPECT_DIR = Key("inspect_dir", "radio: the tagger's direction")
INSPECT_UNITS = Key("inspect_units", "multiselect: the tagger's units written out")
INSPECT_HEATMAP = Key("inspect_heatmap_", "chart per direction: the tagger's states")

# Presenter mode (app/views/presenter.py, on every page)
PRESENTING = Key("presenting", "presenter mode is on (?present=1 in the address)")
PRESENT_LINK_READ = Key("present_link_read", "the address's ?present= has been read in this session")
PRESENT_SWITCH = Key("present_switch", "toggle in the sidebar: turn presenter mode on")
HAS_PRESENTED = Key("has_presented", "this session has been in presenter mode: its tab still holds the arrow-key script")
PRESENT_LEAVE = Key("present_leave", "button: leave presenter mode (the sidebar is hidden while it is on)")

# Guided lesson
LESSON_STEP = Key("lesson_step", "the lesson step shown (0-based; ?step= in the address, 1-based)")
LESSON_ANSWERS = Key("lesson_answers", "{step index: the answer the person checked} (?a= in the address)")
LESSON_LINK_READ = Key("lesson_link_read", "the address's ?step= and ?a= have been read in this session")
LESSON_PROBLEM = Key("lesson_problem", "(step index, why the last Check read no answer), shown once")
LESSON_CHOICE = Key("lesson_choice_", "radio per step: the answer picked")
LESSON_NUMBER = Key("lesson_number_", "text box per step: the number typed")
LESSON_CHECK = Key("lesson_check", "button: check the answer and reveal the computation")
LESSON_PREV = Key("lesson_prev", "button: the previous step")
LESSON_NEXT = Key("lesson_next", "button: the next step")

# Arrows diagram widgets
DIAGRAM_ORDER = Key("diagram_order", "radio: animation order")
DIAGRAM_FOCUS = Key("diagram_focus", "selectbox: the token whose inputs are shown (kept when options change)")
DIAGRAM_LAYER = Key("diagram_layer", "radio: the layer drawn, or all of them (a stack; Step ▶ moves on into the next layer)")
DIAGRAM_LAYER_SHOWN = Key("diagram_layer_shown", "the layer choice the step was last set for (carries the step across a change)")
DIAGRAM_STEP = Key("diagram_step", "select slider: the step (kept when the order changes; moved by the buttons)")
DIAGRAM_BACK = Key("diagram_back", "button: previous step")
DIAGRAM_NEXT = Key("diagram_next", "button: next step")
DIAGRAM_CHART = Key("diagram_chart", "chart: the arrows diagram")
DIAGRAM_MERGE_CHART = Key("diagram_merge_chart", "chart: the merged vectors")

# Uni vs Bi taggers widgets
COMPARE_EXAMPLE = Key("compare_example", "selectbox: an example (fills COMPARE_TEXT)")
COMPARE_TEXT = Key("compare_text", "text input: the sentence both taggers tag")
COMPARE_OCC_PICK = Key("compare_occ_pick_", "selectbox per sentence: the disagreement whose occlusion is plotted")
COMPARE_OCC_FIG = Key("compare_occ_fig", "chart: the occlusion plot")
HAND_OVER = Key("hand_over_", "button per tagger and source key: hand the sentence's trace to another page")
COMPARE_LAYER = Key("compare_layer", "radio: the layer of the heatmaps")
COMPARE_HEATMAP = Key("compare_heatmap_", "chart per tagger and direction: states heatmap")

# Gradients widgets
GRAD_SCALE = Key("grad_scale", "slider: the factor every recurrent matrix U is multiplied by")
GRAD_MAP = Key("grad_map", "radio: the bidirectional influence map shown (merged, forward, backward)")
GRAD_T = Key("grad_t", "select slider: the time step whose chain rule is written out (clamped to the sentence)")
GRAD_CHAIN = Key("grad_chain", "radio: the chain (forward, backward) of the chain-rule step")
GRAD_CHART = Key("grad_chart_", "chart per figure: the influence maps and the decay plot")

# Train: the two networks (app.training.Playground) and the page's widgets
TRAIN = Key("train", "Playground: the uni and bi runs, their settings, whether Play is on, their figures")
TRAIN_TASK = Key("train_task", "selectbox: the toy task")
TRAIN_CELL = Key("train_cell", "selectbox: the cell of both networks")
TRAIN_H = Key("train_h", "slider: the hidden size of each direction")
TRAIN_LR = Key("train_lr", "select slider: Adam's learning rate")
TRAIN_SEED = Key("train_seed", "number input: the seed of the weights and the data")
TRAIN_STEPS = Key("train_steps", "select slider: Adam steps per update of the page")
TRAIN_PLAY = Key("train_play", "button: Play / Pause")
TRAIN_STEP = Key("train_step", "button: one update")
TRAIN_RESET = Key("train_reset", "button: fresh networks with the same settings")
TRAIN_NET = Key("train_net", "radio: the network the open buttons hand over (uni or bi)")
TRAIN_OPEN = Key("train_open_", "button per page: open the chosen network there as the workspace")

# Context vectors widgets
CONTEXT_PAIR = Key("context_pair", "selectbox: an example pair (fills CONTEXT_A, CONTEXT_B and CONTEXT_WORD)")
CONTEXT_A = Key("context_a", "text input: sentence A")
CONTEXT_B = Key("context_b", "text input: sentence B")
CONTEXT_WORD = Key("context_word", "selectbox: the word both sentences share (kept when it still is shared)")
CONTEXT_LAYER = Key("context_layer", "radio: the layer whose vectors are drawn")
CONTEXT_PART = Key("context_part", "radio: forward, backward or merged vectors of the bidirectional tagger")
CONTEXT_CHART = Key("context_chart", "chart: the word's vectors in A and B")

# Shapes & parameters widgets
SHAPES_BATCH = Key("shapes_batch", "number input: batch size")
SHAPES_STEPS = Key("shapes_steps", "number input: time steps")
SHAPES_FEATURES = Key("shapes_features", "number input: features d")
SHAPES_UNITS = Key("shapes_units", "number input: units h")
SHAPES_LAYERS = Key("shapes_layers", "number input: stacked layers")
SHAPES_CELL = Key("shapes_cell", "selectbox: the cell (every registered cell)")
SHAPES_ACTIVATION = Key("shapes_activation", "selectbox: the SimpleRNN activation")
SHAPES_BI = Key("shapes_bi", "toggle: bidirectional")
SHAPES_MERGE = Key("shapes_merge", "selectbox: the merge mode")
SHAPES_RETURN_SEQUENCES = Key("shapes_return_sequences", "toggle: return_sequences")
SHAPES_RETURN_STATE = Key("shapes_return_state", "toggle: return_state")
SHAPES_USE_BIAS = Key("shapes_use_bias", "toggle: use_bias")
SHAPES_BATCH_FIRST = Key("shapes_batch_first", "toggle: PyTorch batch_first")
SHAPES_FLOW_FRAMEWORK = Key("shapes_flow_framework", "segmented control: the framework of the flow diagram")
SHAPES_REG = Key("shapes_reg_", "selectbox per weight role (and _l1 / _l2 number inputs): Keras regularizers")

KEYS: tuple[Key, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Key)) + tuple(SIZES.values())

# values of the STEP_SOURCE / DIAGRAM_SOURCE radios
SOURCES = ("workspace", "tagger")


# ---------------------------------------------------------------- typed access to the shared keys

@dataclass(frozen=True)
class HandedOver:
    """A trained model's trace on one sentence; ``label`` is plain text (the receiving page escapes it)."""

    label: str
    trace: ModelTrace


def hand_over(handed: HandedOver, source: Key) -> None:
    """Give the pages that read INSPECT this trace, and set their source radio to it."""
    st.session_state[INSPECT] = handed
    st.session_state[source] = "tagger"


def handed_over() -> HandedOver | None:
    return st.session_state.get(INSPECT)


@st.cache_resource(show_spinner="Loading the two taggers…")
def shipped_taggers() -> tuple[tg.Tagger, tg.Tagger]:
    """The shipped (unidirectional, bidirectional) taggers, loaded once per server."""
    return tg.load_taggers()


def model_params() -> ModelParams | None:
    """The workspace's model as of its last valid computation (None before any)."""
    return st.session_state.get(MODEL_PARAMS)


# ---------------------------------------------------------------- the workspace and its computation

@dataclass
class Computation:
    """The result of running the workspace: a trace, or the error and the last valid trace."""

    trace: ModelTrace | None
    error: str | None = None
    last_good: ModelTrace | None = None

    @property
    def shown(self) -> ModelTrace | None:
        """What the page shows: the new trace, or the last valid one while there is an error."""
        return self.trace if self.trace is not None else self.last_good


def get_workspace() -> Workspace:
    """The session's Workspace: from the link's ?s= the first time (if valid), else the seed example."""
    if WORKSPACE not in st.session_state:
        ws, error = None, None
        s = st.query_params.get("s")
        if s:
            try:
                ws = Workspace.from_url_state(s)
            except ValidationError as e:
                error = f"The shared link could not be opened: {e} The seed example is shown instead."
        st.session_state[WORKSPACE] = ws or Workspace.from_example(presets.seed_example())
        st.session_state[WS_VERSION] = 0
        st.session_state[URL_ERROR] = error
    return st.session_state[WORKSPACE]


def set_workspace(ws: Workspace) -> None:
    """Replace the workspace (every page sees the change on its next run)."""
    st.session_state[WORKSPACE] = ws
    st.session_state[URL_ERROR] = None  # the person has moved on from the link that failed
    st.session_state[WS_VERSION] = st.session_state.get(WS_VERSION, 0) + 1


def generation() -> int:
    return st.session_state.setdefault(GEN, 0)


def restart_workspace(ws: Workspace) -> None:
    """A workspace of a new shape: bump GEN, so every editor is rebuilt from it under new keys.

    Called from a callback inside the Step by step fragment, it makes the fragment rerun the
    whole page (see ``workspace_restarted``)."""
    set_workspace(ws)
    st.session_state[GEN] = generation() + 1
    st.session_state.pop(PREV_TRACE, None)
    st.session_state.pop(LAST_GOOD, None)


def mark_drawn(gen: int) -> None:
    """The controls above the fragment were drawn for generation ``gen``."""
    st.session_state[DRAWN_GEN] = gen


def workspace_restarted() -> bool:
    """GEN moved on since the page was drawn: a fragment rerun would hold the old editors."""
    return generation() != st.session_state.get(DRAWN_GEN)


def enter_page(url_path: str) -> None:
    """Record the page this full run shows (the entry file calls it before the page runs)."""
    st.session_state[PREVIOUS_PAGE] = st.session_state.get(PAGE_SHOWN)
    st.session_state[PAGE_SHOWN] = url_path


def just_arrived() -> bool:
    """The person came to this page from another one (or opened the app here)."""
    return st.session_state.get(PREVIOUS_PAGE) != st.session_state.get(PAGE_SHOWN)


def show_link_problem() -> None:
    """Open the share link of this address (if any) and say, on whatever page, why it failed."""
    if "s" in st.query_params:
        get_workspace()
    if st.session_state.get(URL_ERROR):
        st.warning(text.markdown(st.session_state[URL_ERROR]))


def compute() -> Computation:
    """Run the core on the workspace once per version; keep the last valid trace on errors."""
    ws = get_workspace()
    version = st.session_state.get(WS_VERSION, 0)
    cached = st.session_state.get(TRACE)
    if cached is not None and st.session_state.get(TRACE_VERSION) == version:
        return cached
    last_good = st.session_state.get(LAST_GOOD)
    try:
        model = ws.model()
        trace = run(model, ws.embeddings, tokens=ws.tokens)
        st.session_state[MODEL_PARAMS] = model
        result = Computation(trace, last_good=last_good)
        if last_good is not None:
            st.session_state[PREV_TRACE] = last_good
        st.session_state[LAST_GOOD] = trace
    except (ValidationError, NonFiniteResultError) as e:
        result = Computation(None, str(e), last_good)
    st.session_state[TRACE], st.session_state[TRACE_VERSION] = result, version
    return result


def log_rerun_ms(label: str, t0: float) -> None:
    """Print a (fragment) rerun's script time to the server log when BIRNN_LOG_RERUN_MS is set."""
    if os.environ.get("BIRNN_LOG_RERUN_MS"):
        print(f"rerun_ms={(time.perf_counter() - t0) * 1e3:.2f} part={label}", file=sys.stderr, flush=True)
