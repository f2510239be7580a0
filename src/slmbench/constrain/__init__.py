"""constrain: JSON-Schema-constrained decoding (grammar, logits processor, closing mode), below the
backends: backends import it, it imports no backend."""
