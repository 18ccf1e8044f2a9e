"""pynet.utils: helpers shared across pynet (hooks) and data loading (pynet.utils.data)."""
