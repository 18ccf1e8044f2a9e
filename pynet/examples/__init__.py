"""Example programs; pynet.examples.mnist is the main job (pynet-mnist)."""
