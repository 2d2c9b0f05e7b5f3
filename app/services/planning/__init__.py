"""Plans: translation to the scheduler, solve jobs, hand edits, review, publishing, seating
rules, and where each person is (places)."""
