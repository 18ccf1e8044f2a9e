"""pynet.vision: the part of torchvision a course uses (datasets, transforms)."""
from . import datasets, transforms

__all__ = ["datasets", "transforms"]
