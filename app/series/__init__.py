"""The series pages: an organiser's series, each with its events and themes side by side."""
