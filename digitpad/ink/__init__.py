"""Ink and its rendering: drawings and image files in, the 28x28 model input out (no model here)."""
