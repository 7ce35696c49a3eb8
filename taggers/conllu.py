"""A small CoNLL-U reader for POS tagging (FORM and UPOS columns only).

Multiword-token range lines (ID ``1-2``) and empty nodes (ID ``8.1``) are skipped:
the syntactic words that follow a range line carry the tags, as UD scores them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

UPOS_TAGS: tuple[str, ...] = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
    "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)


class ConlluError(ValueError):
    """A CoNLL-U file that cannot be read, with the file and line that broke it."""


@dataclass(frozen=True)
class Sentence:
    sent_id: str
    words: tuple[str, ...]
    tags: tuple[str, ...]
    text: str = ""  # the "# text =" comment, when the file has one

    def __len__(self) -> int:
        return len(self.words)


def parse_conllu(lines: Iterable[str], source: str = "<text>") -> Iterator[Sentence]:
    """Yield sentences (FORM, UPOS) from CoNLL-U lines.

    Raises ConlluError with the line number for a malformed token line or an unknown UPOS tag.
    """
    words: list[str] = []
    tags: list[str] = []
    sent_id = ""
    text = ""
    count = 0
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n").rstrip("\r")
        if not line.strip():
            if words:
                count += 1
                yield Sentence(sent_id or f"{source}#{count}", tuple(words), tuple(tags), text)
            words, tags, sent_id, text = [], [], "", ""
            continue
        if line.startswith("#"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "sent_id":
                sent_id = value.strip()
            elif key.strip() == "text":
                text = value.strip()
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise ConlluError(f"{source}, line {lineno}: expected 10 tab-separated columns, found {len(cols)}")
        token_id = cols[0]
        if "-" in token_id or "." in token_id:
            continue  # multiword range or empty node
        if not token_id.isdigit():
            raise ConlluError(f"{source}, line {lineno}: token ID {token_id!r} is not an integer")
        upos = cols[3]
        if upos not in UPOS_TAGS:
            raise ConlluError(f"{source}, line {lineno}: UPOS {upos!r} is not one of the 17 UD tags")
        words.append(cols[1])
        tags.append(upos)
    if words:
        count += 1
        yield Sentence(sent_id or f"{source}#{count}", tuple(words), tuple(tags), text)


def read_conllu(path: str | Path) -> list[Sentence]:
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        return list(parse_conllu(fh, source=path.name))


SPLITS = ("train", "dev", "test")


def find_split(data_dir: str | Path, split: str) -> Path:
    """The ``*-ud-{split}.conllu`` file in data_dir (UD naming), with a clear error if absent."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data directory {data_dir} does not exist")
    hits = sorted(data_dir.glob(f"*-ud-{split}.conllu"))
    if len(hits) != 1:
        raise FileNotFoundError(
            f"expected exactly one *-ud-{split}.conllu in {data_dir}, found {len(hits)}")
    return hits[0]


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
