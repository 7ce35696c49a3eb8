"""The CoNLL-U reader: multiword ranges and empty nodes are skipped, errors name the line."""
from pathlib import Path

import pytest

from taggers.conllu import (UPOS_TAGS, ConlluError, find_split, parse_conllu, read_conllu,
                               sha256_file)

# ../shared/data/ud_english_ewt next to the project (never copied into it; see README "Data credit")
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ud_english_ewt"

SAMPLE = """\
# sent_id = s1
# text = I don't know.
1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = s2
1\tHe\the\tPRON\tPRP\t_\t2\tnsubj\t_\t_
2\tcame\tcome\tVERB\tVBD\t_\t0\troot\t_\t_
2.1\tcame\tcome\tVERB\tVBD\t_\t_\t_\t0:root\t_
3\there\there\tADV\tRB\t_\t2\tadvmod\t_\t_
"""


def test_ranges_and_empty_nodes_are_skipped():
    sents = list(parse_conllu(SAMPLE.splitlines(keepends=True)))
    assert [s.sent_id for s in sents] == ["s1", "s2"]
    assert sents[0].words == ("I", "do", "n't", "know", ".")
    assert sents[0].tags == ("PRON", "AUX", "PART", "VERB", "PUNCT")
    assert sents[0].text == "I don't know."
    assert sents[1].words == ("He", "came", "here")  # no trailing blank line: still yielded


def test_bad_lines_name_the_line():
    with pytest.raises(ConlluError, match="line 2: expected 10"):
        list(parse_conllu(["# c\n", "1\tonly\tthree\n"]))
    with pytest.raises(ConlluError, match="line 1: UPOS 'NN'"):
        list(parse_conllu(["1\tdog\tdog\tNN\tNN\t_\t0\troot\t_\t_\n"]))
    with pytest.raises(ConlluError, match="token ID 'x'"):
        list(parse_conllu(["x\tdog\tdog\tNOUN\tNN\t_\t0\troot\t_\t_\n"]))


def test_find_split_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_split(tmp_path / "nope", "train")
    with pytest.raises(FileNotFoundError, match="found 0"):
        find_split(tmp_path, "train")


def test_real_ewt_counts():
    """The statistics PROVENANCE.md gives for the train file, and the 17 tags all present."""
    if not DATA.is_dir():
        pytest.skip(f"UD English-EWT not present: looked for the folder {DATA} "
                    f"(../shared/data/ud_english_ewt next to the project)")
    train = read_conllu(find_split(DATA, "train"))
    assert len(train) == 12544
    assert sum(len(s) for s in train) == 204577
    assert {t for s in train for t in s.tags} == set(UPOS_TAGS)
    dev = read_conllu(find_split(DATA, "dev"))
    assert len(dev) == 2001
    assert len(sha256_file(find_split(DATA, "test"))) == 64
