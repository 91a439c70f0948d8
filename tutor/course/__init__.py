"""Lessons as data: the model, the loader and validator, answers and what they are checked against.

Nothing here imports Textual; torch is imported only when an answer or a lab is computed.
"""
