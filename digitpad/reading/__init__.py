"""Reading ink with a model: single digits, whole numbers, the person's samples' vote, batches of files."""
