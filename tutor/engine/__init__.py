"""The maths of the tutor: real PyTorch modules over small tensors, numpy in and out.

``spec`` and ``presets`` are plain data and cheap to import. ``layers``, ``conv``, ``pool`` and
``symmetry`` import torch, which takes over a second: the UI imports them in worker threads after
the first screen has painted. Nothing here imports Textual.
"""
