"""User text is text: escape it for each place the app shows it. Pure functions, no Streamlit.

Every string a person typed (a token, a sentence, a label built from them) goes through one of
these before it reaches an element that interprets markup:

- ``plotly(s)``: Plotly labels (titles, ticks, hover, annotations) render a pseudo-HTML subset
  (<b>, <span style>, <a href>, <br>) and decode &lt; &gt; &amp;. Escaping <, > and & (not quotes:
  Plotly does not decode &quot;) shows the text as typed.
- ``markdown(s)``: st.markdown / st.caption / st.info and widget labels render CommonMark, LaTeX
  ($...$), Streamlit directives (:red[...], :material/x:) and images (![](url), which the browser
  would fetch). A backslash before every ASCII punctuation character makes each one literal.
  Streamlit's GFM autolinks bare addresses (http://…, www.…, a@b.c) after escapes are resolved,
  so an invisible WORD JOINER (U+2060) is put inside "http", "ftp", "www" and before "@": the text
  reads the same and never becomes a link.
- ``html_text(s)``: text inside markup the app writes itself for st.html.
"""
from __future__ import annotations

import html
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:\"'=^@%?;,/])")
_CONTROL_PICTURES = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421}
_AUTOLINK = re.compile(r"(?i)(?<=h)(?=ttp)|(?<=f)(?=tp)|(?<=w)(?=ww)|(?=@)")
_WORD_JOINER = "\u2060"


def plotly(s: str) -> str:
    """``s`` shown literally in a Plotly label."""
    return html.escape(str(s), quote=False)


def visible(s: str) -> str:
    """``s`` for display with each control character as its visible picture (U+2400 block: a tab
    shows as ␉, a newline as ␊); display only, what was typed is kept as typed."""
    return str(s).translate(_CONTROL_PICTURES)


def markdown(s: str) -> str:
    """``s`` shown literally inside Streamlit markdown, on one line (control characters visible)."""
    s = visible(s)
    return _MD_SPECIAL.sub(r"\\\1", _AUTOLINK.sub(_WORD_JOINER, s))


def html_text(s: str) -> str:
    """``s`` as inert text inside HTML the app builds."""
    return html.escape(str(s), quote=True)


def isolate(s: str) -> str:
    """``s`` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: right-to-left text (or a
    stray U+202E override) in a token stays inside the token instead of reversing the text after it."""
    return f"\u2068{s}\u2069"
