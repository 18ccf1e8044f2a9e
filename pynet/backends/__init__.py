"""pynet.backends: the flags and queries of PyTorch's torch.backends for a CPU-only build."""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
