"""Helpers shared by the tests (imported as ``helpers.<module>``; ``tests/conftest.py`` puts ``tests/`` on the path).

- ``openai_server``: the one fake OpenAI-compatible chat-completions server.
- ``tiny_model``: the one tiny Qwen3 + tokenizer builder (``train._tiny``'s, with the tests' settings).
"""
