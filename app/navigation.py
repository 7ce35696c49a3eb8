"""The app's page table: one row per page, read by the entry file and by the Home page.

A new page is its view file in app/views/ plus one row here. Plain Python, no Streamlit import.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to app/, as st.Page and st.page_link take it
    title: str
    icon: str
    blurb: str  # one line for the Home page's list of pages
    default: bool = False

    @property
    def url_path(self) -> str:
        """The URL path st.navigation derives from the file name ("" for the default page)."""
        return "" if self.default else os.path.splitext(os.path.basename(self.path))[0]


PAGE_TABLE: list[PageSpec] = [
    PageSpec("views/home.py", "Home", ":material/home:",
             "What a bidirectional RNN is, in one screen.", default=True),
    PageSpec("views/lesson.py", "Guided lesson", ":material/school:",
             "Ten short steps from “I love AI” to the final state: predict each answer, then see the real computation."),
    PageSpec("views/step_by_step.py", "Step by step", ":material/stairs:",
             "Every multiply-add and tanh of both directions, with the real numbers."),
    PageSpec("views/diagram.py", "Arrows diagram", ":material/swap_horiz:",
             "The unrolled network: forward arrows, backward arrows, merged outputs."),
    PageSpec("views/gradients.py", "Gradients", ":material/trending_down:",
             "How far a gradient reaches, uni beside bi; the chain rule with real numbers; the seeds' claims checked."),
    PageSpec("views/train.py", "Train", ":material/model_training:",
             "Press Play: a unidirectional and a bidirectional network learn a task side by side, in NumPy."),
    PageSpec("views/compare.py", "Uni vs Bi taggers", ":material/compare_arrows:",
             "Two trained part-of-speech taggers on your sentence, and where they disagree."),
    PageSpec("views/context.py", "Context vectors", ":material/join_inner:",
             "One word in two sentences: which of its vectors change with the words after it."),
    PageSpec("views/shapes.py", "Shapes & parameters", ":material/straighten:",
             "Matrix shapes, parameter counts and the PyTorch / Keras names for each."),
]
