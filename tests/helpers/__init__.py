"""Helpers shared by the tests (imported as ``helpers.<module>``; ``tests/conftest.py`` puts ``tests/`` on the path).

- ``openai_server``: the one fake OpenAI-compatible chat-completions server.
"""
