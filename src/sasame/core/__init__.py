"""Money, time, ids and errors: the vocabulary every layer shares; imports nothing else of sasame."""
