"""The maths of the tutor: real PyTorch modules over small tensors, numpy in and out.

``spec`` is plain data and cheap to import. ``conv`` imports torch, which takes over a
second: the UI imports it in a worker thread after the first screen has painted.
Nothing here imports Textual.
"""
