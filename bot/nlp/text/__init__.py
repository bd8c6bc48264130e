"""Text handling that every later stage relies on: cleaning and sentences."""
