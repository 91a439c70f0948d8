"""Lab sessions: one class per kind of lab, holding its live state and doing its maths.

A session is built from a lesson's lab spec (``course.model``), computes with the engine (torch),
and answers what a view needs: the 2-D slice a grid shows (``slice(address)``), what an edit or a
new setting changes, and ``explain(cell)``, the window, the terms and the sums behind one output
cell. Expected answers and worked solutions (``labs.expected``) use the same sessions, so every
computation exists once. Nothing here imports Textual: sessions are tested without a screen.
"""
