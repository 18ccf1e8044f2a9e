"""pynet.nn: layers, losses, containers and the functional API."""
