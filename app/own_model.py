"""A person's own model as the workspace: the weights read by app.upload, the sentence they type,
and its embeddings (rows of the file's embedding matrix looked up in its vocabulary, or the page's
fixed pseudo-random ones). Pure: no Streamlit."""
from __future__ import annotations

import numpy as np

from birnn_core import HeadParams, ModelParams, ValidationError, presets

from app import upload
from app.editing import sentence_problem
from app.workspace import Workspace

NO_HEAD_CLASSES = 2


def embeddings_for(words: list[str], model: upload.UploadedModel, vocabulary: list[str] | None,
                   d: int) -> tuple[np.ndarray, str]:
    """(T, d) embeddings of ``words`` and a line saying where they come from."""
    if model.embeddings is None:
        if vocabulary is not None:
            raise ValidationError("A vocabulary goes with an embedding matrix, and this weights file holds "
                                  "none: remove the vocabulary, or save the nn.Embedding with the weights.",
                                  field="vocabulary")
        return presets.embed(words, d), (f"The file has no embedding matrix: each word gets this page's fixed "
                                         f"pseudo-random embedding of size d = {d}.")
    if vocabulary is None:
        raise ValidationError(f"The file holds an embedding matrix of {model.embeddings.shape[0]:,} rows: upload "
                              f"the vocabulary that goes with it (a .txt file with one token per line, or a "
                              f".json list, in row order).", field="vocabulary")
    return upload.embed_tokens(words, vocabulary, model.embeddings), "x_t are rows of the file's embedding matrix."


def head_for(model: upload.UploadedModel, m: int) -> tuple[HeadParams, str | None]:
    """The file's output layer, or a zero one (said so) that lets every hidden state show."""
    if model.head is not None:
        return model.head, None
    return (HeadParams(np.zeros((NO_HEAD_CLASSES, m)), np.zeros(NO_HEAD_CLASSES)),
            f"The file has no output layer: W_o and b_o are zeros ({NO_HEAD_CLASSES} classes), so the outputs "
            f"say nothing; every hidden state is the model's own. Save the nn.Linear / Dense with the weights "
            f"to see its outputs.")


def load(name: str, data: bytes, sentence: str, activation: str = "tanh", merge: str = "concat",
         vocabulary_file: tuple[str, bytes] | None = None) -> tuple[Workspace, str]:
    """The workspace of the uploaded model on ``sentence``, and a line saying what was loaded;
    ValidationError says what to change."""
    words = sentence.split()
    problem = sentence_problem(words)
    if problem:
        raise ValidationError(f"The sentence: {problem}", field="tokens")
    model = upload.read_model(name, data, activation, merge)
    vocabulary = upload.read_vocabulary(*vocabulary_file) if vocabulary_file is not None else None
    X, where = embeddings_for(words, model, vocabulary, model.layers[0].fwd.input_size)
    head, no_head = head_for(model, model.layers[-1].output_size)
    ws = Workspace.from_model(ModelParams(model.layers, head), words, X)
    ws.notes = [where] + ([no_head] if no_head else [])
    return ws, f"Loaded {model.source} on {len(words)} token(s)."
