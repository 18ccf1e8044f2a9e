"""pynet.vision: the part of torchvision a course uses (datasets, transforms)."""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
