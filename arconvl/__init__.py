"""ARConvL: Adaptive Region-Based Convolutional Learning (ECML-PKDD 2023), reproduced.

The package reads top-down as the pipeline:
``data`` → ``backbones`` / ``layers`` → ``losses`` → ``model`` (train_step)
→ ``training`` → ``metrics`` → ``cli``.
"""

__version__ = "0.1.0"
