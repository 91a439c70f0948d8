"""cnn-tutor: learn how convolutional neural networks compute, live, in the terminal."""

__version__ = "0.1.0"
