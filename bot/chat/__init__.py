"""The conversation: the Platform seam, neutral messages, command groups, briefs, rendering."""
