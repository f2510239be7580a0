"""deploy: export a trained model for edge runtimes (GGUF for llama.cpp)."""
