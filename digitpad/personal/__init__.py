"""The person's profile of taught samples, and applying it to a recognizer."""
