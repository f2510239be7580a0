"""Model registry and generation backends (transformers, OpenAI-compatible HTTP, llama.cpp).

Backends are imported lazily; they know nothing of metrics.
"""
