"""pynet.utils: helpers shared across pynet (hooks; data loading will live here)."""
