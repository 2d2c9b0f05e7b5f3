"""The directory of organisations people come from, and their sectors."""
