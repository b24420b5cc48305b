"""sasame: the operations platform for small e-commerce sellers."""

__version__ = "0.1.0"
