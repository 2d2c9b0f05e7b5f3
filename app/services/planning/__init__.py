"""Plans: translation to the scheduler, solve jobs, hand edits, review, publishing, seating
rules, where each person is (places), and what plans and solves say in plain words (summaries)."""
