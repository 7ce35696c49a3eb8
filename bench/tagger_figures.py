"""Print the README's figures that depend on the shipped taggers' weights (no timing).

- the opening example of the Uni vs Bi taggers page ("It looks like rain"): each tagger's top two
  tags at its focus word ("like"), and the bidirectional tagger's with the sentence cut after it;
- the Context vectors table: the bank and bass pairs, cosine per layer and part, and which (layer,
  part) pairs are identical bit for bit;
- the "deposit" bank's other uses among the reference sentences (bidirectional, layer 2 merged).
Usage: python bench/tagger_figures.py [--assets assets/tagger]
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import comparison as cmp  # noqa: E402
from app import context as cx  # noqa: E402
from taggers import tagger as tg  # noqa: E402


def top_two(t: tg.Tagger, tokens: list[str], i: int) -> str:
    _, probs = t.tag(tokens)
    order = probs[i].argsort()[::-1][:2]
    return ", ".join(f"{t.tags[k]} {100 * probs[i, k]:.0f}%" for k in order)


def opening_example(uni: tg.Tagger, bi: tg.Tagger) -> None:
    """The page's opening example at its focus word: both taggers, and bi with the sentence cut there."""
    _, sentence, i, _, _ = cmp.EXAMPLES[cmp.DEFAULT_EXAMPLE]
    tokens = tg.tokenize(sentence)
    w = tokens[i]
    print(f'"{sentence}", at "{w}": uni {top_two(uni, tokens, i)}; bi {top_two(bi, tokens, i)}; '
          f'bi cut after "{w}": {top_two(bi, tokens[:i + 1], i)}')


def rows_text(rows: list[cx.Row]) -> str:
    return "; ".join(f"layer {r.layer} {r.part} " + ("identical" if r.identical else f"{r.cosine:.3f}")
                     for r in rows)


def context_table(uni: tg.Tagger, bi: tg.Tagger) -> None:
    for label, a, b, word in cx.PAIRS[:2]:
        ta, tb = tg.tokenize(a), tg.tokenize(b)
        print(f"{label}:\n  uni: {rows_text(cx.compare_word(uni, ta, tb, word))}"
              f"\n  bi:  {rows_text(cx.compare_word(bi, ta, tb, word))}")


def other_banks(bi: tg.Tagger) -> None:
    _, a, _, word = cx.PAIRS[0]
    tokens = tg.tokenize(a)
    v = cx.vectors(bi.trace(tokens), tokens.index(word))[2, "merged"]
    reference = cx.reference_vectors(cx.reference_traces(bi), 2, "merged")
    uses = cx.occurrences(word, reference, v, a)
    print(f'other uses of "{word}" by cosine to "{a}" (bi, layer 2 merged):')
    for n in uses:
        print(f"  {n.cosine:.3f}  {n.sentence}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--assets", default=str(tg.DEFAULT_ASSETS))
    args = p.parse_args()
    uni, bi = tg.load_taggers(args.assets)
    opening_example(uni, bi)
    context_table(uni, bi)
    other_banks(bi)


if __name__ == "__main__":
    main()
