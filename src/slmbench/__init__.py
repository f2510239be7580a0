"""SLMBench: small task-specialised language models for structured JSON extraction."""

__version__ = "0.1.0"
