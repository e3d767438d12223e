"""The ONNX model: its contract, loading and validating it, running it within time limits, choosing it."""
