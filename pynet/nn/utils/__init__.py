"""pynet.nn.utils: helpers around modules and parameters."""
