"""Shared Python toolchain for the Ponder model zoo (tokenizer, GPT-2 ONNX export, checks)."""
