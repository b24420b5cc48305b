"""The daily pipeline each engine registers a step in, and the scheduler that runs it."""
